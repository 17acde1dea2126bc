import { connect } from 'node:net';

export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
}

/**
 * Sends bytes exactly as given to 127.0.0.1:`port` and reads the answer: for requests no HTTP client would send
 * (duplicate or oversized headers, invalid UTF-8, broken syntax). The request should carry `Connection: close`.
 */
export function rawRequest(port: number, request: string | Buffer, timeoutMs = 5000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error('raw request timed out')));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const [head = '', ...rest] = raw.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const status = Number(statusLine.split(' ')[1]);
      if (!status) {
        reject(new Error(`No HTTP answer: ${JSON.stringify(raw.slice(0, 200))}`));
        return;
      }
      const headers = Object.fromEntries(
        headerLines.map((line) => [
          line.slice(0, line.indexOf(':')).toLowerCase(),
          line.slice(line.indexOf(':') + 1).trim(),
        ]),
      );
      resolve({ status, headers, text: rest.join('\r\n\r\n') });
    });
    // Not end(): a half-closed client makes Node drop the connection before a slow answer is written.
    socket.write(request);
  });
}

/** A request as bytes: request line, headers (Host and Connection: close added), and an optional body. */
export function httpBytes(
  method: string,
  path: string,
  headers: readonly (readonly [string, string])[] = [],
  body?: string | Buffer,
): Buffer {
  const bodyBytes = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  const lines = [
    `${method} ${path} HTTP/1.1`,
    'Host: 127.0.0.1',
    'Connection: close',
    ...headers.map(([name, value]) => `${name}: ${value}`),
    ...(bodyBytes ? [`Content-Length: ${bodyBytes.length}`] : []),
  ];
  return Buffer.concat([
    Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'),
    bodyBytes ?? Buffer.alloc(0),
  ]);
}
