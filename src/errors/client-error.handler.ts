import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorBody } from './error-body.js';

/** Requests Node's HTTP parser refuses before Express sees them, answered in the standard error shape. */
const PARSER_ERRORS: Readonly<Record<string, readonly [number, string, ErrorBody]>> = {
  HPE_HEADER_OVERFLOW: [
    431,
    'Request Header Fields Too Large',
    { error_code: 'headers_too_large', description: 'The request headers are too large.' },
  ],
  ERR_HTTP_REQUEST_TIMEOUT: [
    408,
    'Request Timeout',
    { error_code: 'request_timeout', description: 'The request took too long to arrive.' },
  ],
};

const MALFORMED: readonly [number, string, ErrorBody] = [
  400,
  'Bad Request',
  { error_code: 'invalid_request', description: 'The request is not valid HTTP.' },
];

function answer(socket: Duplex, [status, reason, body]: readonly [number, string, ErrorBody]): void {
  const json = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
  );
}

/** Replaces Node's bare-text answers to malformed requests (bad syntax, oversized headers) with JSON ones. */
export function answerClientErrorsAsJson(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    answer(socket, PARSER_ERRORS[error.code ?? ''] ?? MALFORMED);
  });
}
