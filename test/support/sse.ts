import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NestExpressApplication } from '@nestjs/platform-express';

/** One server-sent event as a client parses it. */
export interface SseEvent {
  readonly id?: string;
  readonly event?: string;
  readonly data?: Record<string, unknown>;
}

/** A raw event-stream client: keeps every event, comment and the connection's state for the test. */
export class SseClient {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  closed = false;
  private buffer = '';
  private readonly watchers = new Set<() => void>();

  private constructor(readonly response: http.IncomingMessage) {
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => this.receive(chunk));
    const closed = () => {
      this.closed = true;
      this.notify();
    };
    response.on('close', closed);
    response.on('error', closed);
  }

  /** Opens `path` on `app` with Basic `auth`; resolves once the response head arrived. */
  static open(
    app: NestExpressApplication,
    path: string,
    auth: readonly [string, string],
    headers: Record<string, string> = {},
  ): Promise<SseClient> {
    const { port } = app.getHttpServer().address() as AddressInfo;
    return new Promise((resolve, reject) => {
      const request = http.get({
        host: '127.0.0.1',
        port,
        path,
        agent: false,
        headers: { authorization: `Basic ${Buffer.from(auth.join(':')).toString('base64')}`, ...headers },
      });
      request.on('response', (response) => resolve(new SseClient(response)));
      request.on('error', reject);
    });
  }

  /** Waits until `until` holds of the events received (checked on every chunk). */
  waitFor(until: (events: SseEvent[]) => boolean, timeoutMs = 10_000): Promise<SseEvent[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (until(this.events)) {
          cleanup();
          resolve(this.events);
        } else if (this.closed) {
          cleanup();
          reject(new Error(`The stream closed; got ${JSON.stringify(this.events.map((e) => e.event))}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(`Timed out; got ${JSON.stringify(this.events.map((e) => [e.event, e.data?.status]))}`),
        );
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.watchers.delete(check);
      };
      this.watchers.add(check);
      check();
    });
  }

  /** Waits for the event whose action status is `status`. */
  until(status: string, timeoutMs?: number): Promise<SseEvent[]> {
    return this.waitFor((events) => events.some((event) => event.data?.status === status), timeoutMs);
  }

  close(): void {
    this.response.destroy();
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const fields: Record<string, string> = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
        else {
          const colon = line.indexOf(':');
          fields[line.slice(0, colon)] = line.slice(colon + 1).replace(/^ /, '');
        }
      }
      if (fields.event !== undefined || fields.data !== undefined) {
        this.events.push({
          id: fields.id,
          event: fields.event,
          data: fields.data === undefined ? undefined : (JSON.parse(fields.data) as Record<string, unknown>),
        });
      }
    }
    this.notify();
  }

  private notify(): void {
    for (const watcher of [...this.watchers]) watcher();
  }
}

/** The sequence part of an event id `<source>-<seq>`. */
export const seqOf = (event: SseEvent): number => Number(event.id?.split('-')[1]);

/**
 * A supertest parser for a route that may answer an event stream (which never ends): an event stream is taken
 * as `{}` once its head arrived, anything else is read as JSON.
 */
export function headOfStreamOrJson(
  // superagent hands the Node response, though its types name its own Response.
  received: unknown,
  done: (error: Error | null, body: unknown) => void,
): void {
  const response = received as http.IncomingMessage;
  if (String(response.headers['content-type']).startsWith('text/event-stream')) {
    response.destroy();
    return done(null, {});
  }
  let text = '';
  response.setEncoding('utf8');
  response.on('data', (chunk: string) => (text += chunk));
  response.on('end', () => done(null, text ? JSON.parse(text) : {}));
}
