import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

/** Servers run on this core and the load generator (this process) on the next, so they never compete. */
const SERVER_CORE = '0';
const LOAD_CORE = '1';
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;
/** Output lines kept to explain a failure. */
const KEPT_LINES = 40;

/** Every server started and not yet stopped, so that no child outlives the bench. */
const running = new Set<ServerProcess>();

export async function stopServers(): Promise<void> {
  await Promise.all([...running].map((server) => server.stop()));
}

/** Pins this process to the load core; false where there is no second core or no taskset. */
export function pinLoadGenerator(): boolean {
  if (availableParallelism() < 2) return false;
  const pinned = spawnSync('taskset', ['-pc', LOAD_CORE, String(process.pid)], { stdio: 'ignore' });
  return pinned.status === 0;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface ServerOptions {
  /** Node script to run. */
  readonly script: string;
  /** Options for node itself, e.g. --cpu-prof. */
  readonly nodeArgs?: readonly string[];
  /** Environment on top of this process's; PORT is added. */
  readonly env: Readonly<Record<string, string>>;
  /** Run on the server core (see pinLoadGenerator). */
  readonly pinned: boolean;
  /** Called with every line the server prints, stdout and stderr alike. */
  readonly onLine?: (line: string) => void;
}

/** A server under test, run as a child process on a free loopback port. */
export class ServerProcess {
  private lines = 0;
  private readonly recent: string[] = [];
  private exit?: string;

  private constructor(
    private readonly child: ChildProcess,
    readonly baseUrl: string,
    onLine: ((line: string) => void) | undefined,
  ) {
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => {
        this.lines++;
        this.recent.push(line);
        if (this.recent.length > KEPT_LINES) this.recent.shift();
        onLine?.(line);
      });
    }
    child.on('exit', (code, signal) => (this.exit = `exited (${signal ?? `code ${code}`})`));
  }

  /** Starts the server and waits until it answers HTTP (any status); rejects with its output if it cannot. */
  static async start(options: ServerOptions): Promise<ServerProcess> {
    const port = await freePort();
    const node = [process.execPath, ...(options.nodeArgs ?? []), options.script];
    const [command, ...args] = options.pinned ? ['taskset', '-c', SERVER_CORE, ...node] : node;
    const child = spawn(command, args, {
      env: { ...process.env, ...options.env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const server = new ServerProcess(child, `http://127.0.0.1:${port}`, options.onLine);
    running.add(server);
    const answers = (): Promise<boolean> =>
      fetch(server.baseUrl).then(
        () => true,
        () => false,
      );
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline && !server.exit) {
      if (await answers()) return server;
      await sleep(100);
    }
    await server.stop();
    throw new Error(`${options.script} did not start: ${server.exit ?? 'timed out'}\n${server.output()}`);
  }

  /** Lines printed so far, including those no longer kept. */
  get lineCount(): number {
    return this.lines;
  }

  /** Why the server is gone, or undefined while it runs. */
  get exited(): string | undefined {
    return this.exit;
  }

  /** Resident set size in MB, from /proc (Linux); undefined where it cannot be read. */
  rssMb(): number | undefined {
    try {
      const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${this.child.pid}/status`, 'utf8'))?.[1];
      return kb === undefined ? undefined : Number(kb) / 1024;
    } catch {
      return undefined;
    }
  }

  /** The last lines the server printed (at most KEPT_LINES). */
  output(count = KEPT_LINES): string {
    return this.recent.slice(-count).join('\n');
  }

  async stop(): Promise<void> {
    running.delete(this);
    if (this.exit) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }
}
