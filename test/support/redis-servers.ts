import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis, type RedisOptions } from 'ioredis';

/** A port nobody listens on right now (never 6379: the machine's shared Redis lives there). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** One redis-server process of this test, on loopback, with nothing written to disk. */
export class RedisServer {
  private process?: ChildProcess;
  private readonly clients: Redis[] = [];
  /** Its working folder: a replica's full sync writes an RDB file there, never into the repository. */
  private readonly dir = mkdtempSync(join(tmpdir(), 'cluster-actions-redis-'));

  private constructor(readonly port: number) {}

  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort());
    server.process = spawn(
      'redis-server',
      [
        ...['--port', String(server.port), '--bind', '127.0.0.1', '--dir', server.dir],
        ...['--save', '', '--appendonly', 'no'],
      ],
      { stdio: 'ignore' },
    );
    const probe = server.client({ retryStrategy: () => 20 });
    for (let attempt = 0; ; attempt++) {
      try {
        await probe.ping();
        break;
      } catch (error) {
        if (attempt > 100) throw error;
        await sleep(20);
      }
    }
    return server;
  }

  get addr(): string {
    return `127.0.0.1:${this.port}`;
  }

  get url(): string {
    return `redis://${this.addr}`;
  }

  /** A client for the test itself (closed with the server). */
  client(options: RedisOptions = {}): Redis {
    const client = new Redis({ host: '127.0.0.1', port: this.port, maxRetriesPerRequest: 0, ...options });
    client.on('error', () => undefined); // a stopped server is part of the tests
    this.clients.push(client);
    return client;
  }

  /** Kills the server at once (SIGKILL), as a crash would. */
  async kill(): Promise<void> {
    const process = this.process;
    if (!process || process.exitCode !== null || process.signalCode !== null) return;
    const exited = new Promise((resolve) => process.once('exit', resolve));
    process.kill('SIGKILL');
    await exited;
  }

  async close(): Promise<void> {
    for (const client of this.clients.splice(0)) client.disconnect();
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Three (or `count`) servers: the first is master, the others replicate from it and are in sync. */
export async function startReplicationGroup(count = 3): Promise<RedisServer[]> {
  const servers = await Promise.all(Array.from({ length: count }, () => RedisServer.start()));
  const [master, ...replicas] = servers;
  const clients = replicas.map((replica) => replica.client());
  for (const client of clients) await client.replicaof('127.0.0.1', master.port);
  await waitFor(async () => {
    const links = await Promise.all(clients.map((client) => client.info('replication')));
    return links.every((info) => info.includes('master_link_status:up'));
  });
  return servers;
}

/** A server's role as `ROLE` reports it (`master`, `slave`), or `down` if it does not answer. */
export async function roleOf(client: Redis): Promise<string> {
  try {
    const [role] = (await client.call('ROLE')) as [string];
    return role;
  } catch {
    return 'down';
  }
}

/** Polls `done` every 20 ms until it holds (or fails after `timeoutMs`). */
export async function waitFor(done: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error('Timed out waiting for the Redis servers');
    await sleep(20);
  }
}
