import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/** The service as `npm start` runs it. */
export const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
const WAIT_MS = 15_000;

/** Fails the suite at once, with the fix, when the service was not built. */
export function requireBuild(file = MAIN): void {
  if (!existsSync(file)) throw new Error(`${file} is missing: run 'npm run build' first ('npm test' does).`);
}

/** The web console's page, as `npm run build` makes it (the app serves it from dist/ui/, tests included). */
export const CONSOLE_PAGE = fileURLToPath(new URL('../../dist/ui/index.html', import.meta.url));

/** A port nothing listens on (on 127.0.0.1) a moment ago. */
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

/** Every child still running, for `killAll` after each test. */
const running = new Set<BuiltService>();

/** `node dist/main.js` as a child process with exactly `env` (plus PATH), its stdout and stderr collected. */
export class BuiltService {
  readonly exited: Promise<Exit>;
  private exit?: Exit;
  private text = '';

  constructor(env: Record<string, string>) {
    const child: ChildProcess = spawn(process.execPath, [MAIN], {
      env: { PATH: process.env.PATH, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => (this.text += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.text += chunk.toString()));
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        running.delete(this);
        resolve((this.exit = { code, signal }));
      }),
    );
    this.kill = (signal) => child.kill(signal);
    running.add(this);
  }

  readonly kill: (signal: NodeJS.Signals) => void;

  /** Everything the process wrote so far, stdout and stderr interleaved. */
  get output(): string {
    return this.text;
  }

  /** Waits (bounded) until the output matches `pattern`; fails early if the process exits first. */
  async waitForOutput(pattern: RegExp): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    while (!pattern.test(this.text)) {
      if (this.exit) throw new Error(`The service exited (${JSON.stringify(this.exit)}):\n${this.text}`);
      if (Date.now() > deadline) throw new Error(`No ${String(pattern)} after ${WAIT_MS} ms:\n${this.text}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Waits (bounded) for the exit. */
  async exitWithin(ms: number): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Still running after ${ms} ms:\n${this.text}`)), ms);
    });
    try {
      return await Promise.race([this.exited, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills every child a test left running. */
  static async killAll(): Promise<void> {
    await Promise.all(
      [...running].map((service) => {
        service.kill('SIGKILL');
        return service.exited;
      }),
    );
  }
}
