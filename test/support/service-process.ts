import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/** The built service; `npm test` builds it before Jest runs. */
export const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
export const WAIT_MS = 15_000;

export function assertBuilt(): void {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run 'npm run build' first ('npm test' does).`);
}

/** Polls `probe` until it returns a value, failing after `timeoutMs` with `what` (every wait is bounded). */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = WAIT_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** `promise`, or a failure naming `what` after WAIT_MS. */
export async function within<T>(what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${WAIT_MS} ms waiting for ${what}`)), WAIT_MS);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('No port was assigned')),
      );
    });
  });
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Every service process still running: `stopAll` kills them after each test. */
const running = new Set<ServiceProcess>();

/** The built service (dist/main.js) as a child process on 127.0.0.1, with the environment a test gives it. */
export class ServiceProcess {
  readonly exited: Promise<Exit>;
  private exit?: Exit;
  private log = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    private readonly credentials: readonly [string, string],
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => resolve((this.exit = { code, signal }))),
    );
  }

  /** Starts the service with `env` (plus PATH and a free PORT) and waits until it serves `credentials`. */
  static async start(
    env: Readonly<Record<string, string>>,
    credentials: readonly [string, string],
  ): Promise<ServiceProcess> {
    const port = await freePort();
    const child = spawn(process.execPath, [MAIN], {
      env: { PATH: process.env.PATH, PORT: String(port), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const service = new ServiceProcess(child, port, credentials);
    running.add(service);
    await waitFor('the service to answer', async () => {
      if (service.exit) throw new Error(`The service exited at start-up:\n${service.log}`);
      // Refused until the service listens.
      return (await service.request('GET', '/v1/nodes').catch(() => undefined))?.ok || undefined;
    });
    return service;
  }

  /** Kills every service a test left running. */
  static async stopAll(): Promise<void> {
    await Promise.all([...running].map((service) => service.stop('SIGKILL')));
  }

  get output(): string {
    return this.log;
  }

  request(
    method: string,
    path: string,
    body?: unknown,
    credentials: readonly [string, string] = this.credentials,
  ): Promise<Response> {
    return fetch(`http://127.0.0.1:${this.port}${path}`, {
      method,
      headers: { authorization: `Basic ${Buffer.from(credentials.join(':')).toString('base64')}` },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(WAIT_MS),
    });
  }

  /** GET `path` as JSON, expecting 200. */
  async json<T>(path: string): Promise<T> {
    const response = await this.request('GET', path);
    if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}`);
    return (await response.json()) as T;
  }

  /** Sends `signal` and waits (bounded) for the process to exit. */
  async stop(signal: NodeJS.Signals): Promise<Exit> {
    if (!this.exit) this.child.kill(signal);
    const exit = await within(`the exit after ${signal}; output:\n${this.log}`, this.exited);
    running.delete(this);
    return exit;
  }

  /** SIGSTOP: the process keeps its sockets and state but runs nothing until `resume`. */
  pause(): void {
    this.child.kill('SIGSTOP');
  }

  resume(): void {
    this.child.kill('SIGCONT');
  }
}
