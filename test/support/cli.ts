import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { ServiceProcess } from './service-process.js';

/** The CLI as the package's `bin` runs it. */
export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const WAIT_MS = 15_000;

/** Fails the suite at once, with the fix, when the CLI was not built. */
export function requireCliBuild(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run 'npm run build' first ('npm test' does).`);
}

/** The environment that points the CLI at `service` as `credentials` (nothing else of this process's). */
export const connectionEnv = (
  service: ServiceProcess,
  [user, password]: readonly [string, string],
): Record<string, string> => ({
  CLUSTER_ACTIONS_URL: `http://127.0.0.1:${service.port}`,
  CLUSTER_ACTIONS_USER: user,
  CLUSTER_ACTIONS_PASSWORD: password,
});

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The built CLI as a child process without a terminal: its stdout and stderr collected apart. */
export class CliProcess {
  readonly done: Promise<CliResult>;
  stdout = '';
  stderr = '';
  private readonly kill: (signal: NodeJS.Signals) => void;

  constructor(args: readonly string[], env: Record<string, string>, input = '') {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin.end(input);
    child.stdout.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), WAIT_MS);
    this.done = new Promise((resolve) =>
      child.once('close', (code) => {
        clearTimeout(killer);
        resolve({ code, stdout: this.stdout, stderr: this.stderr });
      }),
    );
    this.kill = (signal) => child.kill(signal);
  }

  /** Ctrl-C, as a terminal sends it. */
  interrupt(): void {
    this.kill('SIGINT');
  }

  /** Waits (bounded) until stdout matches `pattern`. */
  async waitForStdout(pattern: RegExp): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    while (!pattern.test(this.stdout)) {
      if (Date.now() > deadline)
        throw new Error(`No ${String(pattern)} on stdout:\n${this.stdout}\n${this.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

/** Runs the CLI to its end (killed after 15 s). */
export const runCli = (
  args: readonly string[],
  env: Record<string, string>,
  input?: string,
): Promise<CliResult> => new CliProcess(args, env, input).done;

const tmux = promisify(execFile);

/** A pseudo-terminal: tmux on its own server (socket), running one shell command in a 120x20 window. */
export class Terminal {
  private constructor(private readonly socket: string) {}

  /** Runs `args` of the CLI, then prints `EXIT=<code>` and keeps the pane open to be read. */
  static async run(args: readonly string[], env: Record<string, string>): Promise<Terminal> {
    const socket = `cluster-actions-cli-${process.pid}-${Math.random().toString(36).slice(2)}`;
    const quote = (word: string) => `'${word.replaceAll("'", "'\\''")}'`;
    const command = `${[process.execPath, CLI, ...args].map(quote).join(' ')}; echo EXIT=$?; sleep 60`;
    await tmux(
      'tmux',
      ['-L', socket, '-f', '/dev/null', 'new-session', '-d', '-x', '120', '-y', '20', command],
      // The tmux server (and so the pane) gets exactly this environment.
      { env: { PATH: process.env.PATH, TERM: 'xterm-256color', LANG: 'C.UTF-8', ...env } },
    );
    return new Terminal(socket);
  }

  /** The screen as text, blank lines dropped. */
  async screen(): Promise<string> {
    const { stdout } = await tmux('tmux', ['-L', this.socket, 'capture-pane', '-p']);
    return stdout
      .split('\n')
      .filter((line) => line.trim())
      .join('\n');
  }

  /** Polls the screen until it matches `pattern` (bounded), calling `seen` with every screen read. */
  async waitForScreen(pattern: RegExp, seen: (screen: string) => void = () => undefined): Promise<string> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const screen = await this.screen();
      seen(screen);
      if (pattern.test(screen)) return screen;
      if (Date.now() > deadline) throw new Error(`No ${String(pattern)} on the screen:\n${screen}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Types `keys` (tmux key names, e.g. `C-c`, `Enter`). */
  async type(...keys: string[]): Promise<void> {
    await tmux('tmux', ['-L', this.socket, 'send-keys', ...keys]);
  }

  async close(): Promise<void> {
    await tmux('tmux', ['-L', this.socket, 'kill-server']).catch(() => undefined);
  }
}
