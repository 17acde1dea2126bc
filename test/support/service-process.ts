import { BuiltService, freePort, type Exit } from './built-service.js';

export { requireBuild } from './built-service.js';

export const WAIT_MS = 15_000;

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

/** A built service that serves HTTP on its own port, with requests as one user. */
export class ServiceProcess {
  private constructor(
    private readonly process: BuiltService,
    readonly port: number,
    private readonly credentials: readonly [string, string],
  ) {}

  /** Starts the service with `env` (plus a free PORT) and waits until it answers `credentials`. */
  static async start(
    env: Readonly<Record<string, string>>,
    credentials: readonly [string, string],
  ): Promise<ServiceProcess> {
    const port = await freePort();
    const service = new ServiceProcess(new BuiltService({ ...env, PORT: String(port) }), port, credentials);
    let exit: Exit | undefined;
    void service.process.exited.then((value) => (exit = value));
    await waitFor('the service to answer', async () => {
      if (exit) throw new Error(`The service exited at start-up:\n${service.output}`);
      // Refused until the service listens.
      return (await service.request('GET', '/v1/nodes').catch(() => undefined))?.ok || undefined;
    });
    return service;
  }

  get output(): string {
    return this.process.output;
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
  stop(signal: NodeJS.Signals): Promise<Exit> {
    this.process.kill(signal);
    return this.process.exitWithin(WAIT_MS);
  }

  /** SIGSTOP: the process keeps its sockets and state but runs nothing until `resume`. */
  pause(): void {
    this.process.kill('SIGSTOP');
  }

  resume(): void {
    this.process.kill('SIGCONT');
  }
}
