import { createServer, connect, type Server, type Socket } from 'node:net';
import { freePort } from './servers.js';

/** PostgreSQL's ReadyForQuery message: the server sends one at the end of every query, simple or extended. */
const READY_FOR_QUERY = 0x5a; // 'Z'
/** Every message after the start-up: a type byte and a length (itself included, the type byte not). */
const HEADER_BYTES = 5;

/** Calls `onReady` for each ReadyForQuery in a server's stream of messages, however the stream is chunked. */
function readyForQueryCounter(onReady: () => void): (chunk: Buffer) => void {
  let header = Buffer.alloc(0);
  let bodyLeft = 0;
  return (chunk) => {
    let offset = 0;
    while (offset < chunk.length) {
      if (bodyLeft > 0) {
        const skipped = Math.min(bodyLeft, chunk.length - offset);
        bodyLeft -= skipped;
        offset += skipped;
        continue;
      }
      const taken = chunk.subarray(offset, offset + HEADER_BYTES - header.length);
      header = Buffer.concat([header, taken]);
      offset += taken.length;
      if (header.length < HEADER_BYTES) return;
      if (header[0] === READY_FOR_QUERY) onReady();
      bodyLeft = header.readUInt32BE(1) - 4;
      header = Buffer.alloc(0);
    }
  };
}

/**
 * A TCP relay in front of a PostgreSQL server that counts the round trips made through it (one ReadyForQuery
 * each: a statement, or BEGIN and COMMIT each). A service whose DATABASE_URL points at `url` is counted exactly,
 * with no statistics delay; the relay adds a hop, so it is only for counting, never for the measured load.
 */
export class RoundTripCounter {
  roundTrips = 0;
  private readonly sockets = new Set<Socket>();
  private readonly server: Server = createServer((client) => this.relay(client));

  private constructor(
    private readonly target: URL,
    /** The database through the relay. */
    readonly url: string,
  ) {}

  /** Relays to the server of `databaseUrl`. */
  static async start(databaseUrl: string): Promise<RoundTripCounter> {
    const port = await freePort();
    const relayed = new URL(databaseUrl);
    relayed.hostname = '127.0.0.1';
    relayed.port = String(port);
    const counter = new RoundTripCounter(new URL(databaseUrl), relayed.href);
    await new Promise<void>((resolve) => counter.server.listen(port, '127.0.0.1', resolve));
    return counter;
  }

  /** Round trips per call while `calls` calls of `send` run one after the other. */
  async perCall(calls: number, send: () => Promise<void>): Promise<number> {
    const before = this.roundTrips;
    for (let i = 0; i < calls; i++) await send();
    return (this.roundTrips - before) / calls;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private relay(client: Socket): void {
    const upstream = connect(Number(this.target.port || 5432), this.target.hostname);
    upstream.on(
      'data',
      readyForQueryCounter(() => this.roundTrips++),
    );
    client.pipe(upstream).pipe(client);
    for (const [socket, peer] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.sockets.add(socket);
      socket.on('error', () => peer.destroy());
      socket.on('close', () => {
        this.sockets.delete(socket);
        peer.destroy();
      });
    }
  }
}
