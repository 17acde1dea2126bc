import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isTerminal, type ActionStatus } from '../../src/actions/action-lifecycle.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { TEST_ACTION, TestActionModule, TestGate, type GatedRun } from '../support/test-action.js';

const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
const ADMIN: readonly [string, string] = ['admin@crash.local', 'crash-admin-password'];
const WAIT_MS = 15_000;

interface ActionBody {
  readonly action_uid: string;
  readonly status: ActionStatus;
  readonly error_code?: string;
  readonly error_message?: string;
}

/** Polls `probe` until it returns a value, failing after WAIT_MS with `what` (every wait is bounded). */
async function waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${WAIT_MS} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** `promise`, or a failure naming `what` after WAIT_MS. */
async function within<T>(what: string, promise: Promise<T>): Promise<T> {
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

function freePort(): Promise<number> {
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

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Every child still running, killed after each test. */
const running = new Set<Service>();

/** The built service (dist/main.js) as a child process, on 127.0.0.1 only. */
class Service {
  readonly exited: Promise<Exit>;
  private exit?: Exit;
  private output = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly port: number,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => resolve((this.exit = { code, signal }))),
    );
  }

  static async start(databaseFile: string): Promise<Service> {
    const port = await freePort();
    const child = spawn(process.execPath, [MAIN], {
      env: {
        PATH: process.env.PATH,
        PORT: String(port),
        DATABASE_URL: `sqlite:${databaseFile}`,
        ADMIN_EMAIL: ADMIN[0],
        ADMIN_PASSWORD: ADMIN[1],
        // Each change_master step takes a minute: the run is reliably mid-way when the test stops the process.
        CHANGE_MASTER_STEP_MS: '60000',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const service = new Service(child, port);
    running.add(service);
    await waitFor('the service to answer', async () => {
      if (service.exit) throw new Error(`The service exited at start-up:\n${service.output}`);
      // Refused until the service listens.
      return (await service.request('GET', '/v1/nodes').catch(() => undefined))?.ok || undefined;
    });
    return service;
  }

  request(method: string, path: string, body?: unknown): Promise<Response> {
    return fetch(`http://127.0.0.1:${this.port}${path}`, {
      method,
      headers: { authorization: `Basic ${Buffer.from(ADMIN.join(':')).toString('base64')}` },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(WAIT_MS),
    });
  }

  async action(): Promise<ActionBody> {
    const response = await this.request('GET', '/v1/cluster/actions/change_master');
    return (await response.json()) as ActionBody;
  }

  async startChangeMaster(nodeUid: string): Promise<ActionBody> {
    const response = await this.request('POST', '/v1/cluster/actions/change_master', { node_uid: nodeUid });
    expect(response.status).toBe(200);
    const started = (await response.json()) as ActionBody;
    await waitFor('the run to be running', async () =>
      (await this.action()).status === 'running' ? true : undefined,
    );
    return started;
  }

  async masters(): Promise<string[]> {
    const response = await this.request('GET', '/v1/nodes/status');
    const status = (await response.json()) as Record<string, { role: string }>;
    return Object.keys(status).filter((uid) => status[uid]?.role === 'master');
  }

  /** Sends `signal` and waits (bounded) for the process to exit. */
  async stop(signal: NodeJS.Signals): Promise<Exit> {
    this.child.kill(signal);
    const exit = await within(`the exit after ${signal}; output:\n${this.output}`, this.exited);
    running.delete(this);
    return exit;
  }
}

describe('crash recovery of the built service', () => {
  let folder: string;
  let file: string;

  beforeAll(() => {
    if (!existsSync(MAIN))
      throw new Error(`${MAIN} is missing: run 'npm run build' first ('npm test' does).`);
  });

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'cluster-actions-crash-'));
    file = join(folder, 'state.db');
  });

  afterEach(async () => {
    await Promise.all([...running].map((service) => service.stop('SIGKILL')));
    rmSync(folder, { recursive: true, force: true });
  });

  it('after SIGKILL mid-run, a restart aborts the lost run, keeps the old master, and runs again', async () => {
    const crashed = await Service.start(file);
    const lost = await crashed.startChangeMaster('2');
    expect(await crashed.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });

    const restarted = await Service.start(file);
    expect(await restarted.action()).toEqual(
      expect.objectContaining({
        action_uid: lost.action_uid,
        status: 'aborted',
        error_code: 'executor_lost',
        error_message: expect.any(String),
      }),
    );
    expect(await restarted.masters()).toEqual(['1']);
    const next = await restarted.startChangeMaster('3');
    expect(next.action_uid).not.toBe(lost.action_uid);
  }, 60_000);

  it('on SIGTERM mid-run, records the run as ended, exits 0, and the next start finds no run in progress', async () => {
    const stopped = await Service.start(file);
    const interrupted = await stopped.startChangeMaster('2');
    expect(await stopped.stop('SIGTERM')).toEqual({ code: 0, signal: null });

    const restarted = await Service.start(file);
    const after = await restarted.action();
    expect(after).toEqual(
      expect.objectContaining({
        action_uid: interrupted.action_uid,
        status: 'aborted',
        error_code: 'shutdown',
      }),
    );
    expect(isTerminal(after.status)).toBe(true);
    expect(await restarted.masters()).toEqual(['1']);
  }, 60_000);
});

describe('graceful stop in process', () => {
  let folder: string;
  let app: TestApp | undefined;

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'cluster-actions-grace-'));
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
    rmSync(folder, { recursive: true, force: true });
  });

  /** Closes the app while a test action runs, then reads the run's status from a new app on the same file. */
  async function closeDuringRun(params: object, onEntered: (run: GatedRun) => void): Promise<ActionBody> {
    const env = { DATABASE_URL: `sqlite:${join(folder, 'state.db')}`, SHUTDOWN_GRACE_MS: '200' };
    const first = (app = await createTestApp({ env, imports: [TestActionModule] }));
    await first.http
      .post(`/v1/cluster/actions/${TEST_ACTION}`)
      .auth(...first.admin)
      .send(params)
      .expect(200);
    onEntered(await first.app.get(TestGate).next());
    const started = Date.now();
    app = undefined;
    await first.close();
    expect(Date.now() - started).toBeLessThan(2_000);
    app = await createTestApp({ env, imports: [TestActionModule] });
    return (
      await app.http
        .get(`/v1/cluster/actions/${TEST_ACTION}`)
        .auth(...app.admin)
        .expect(200)
    ).body as ActionBody;
  }

  it('records a run whose handler stops at its safe point as aborted with shutdown', async () => {
    expect(await closeDuringRun({}, () => undefined)).toMatchObject({
      status: 'aborted',
      error_code: 'shutdown',
    });
  });

  it('keeps the result of a handler that completes once asked to stop', async () => {
    const body = await closeDuringRun({ ignore_signal: true }, (run) =>
      run.context.signal.addEventListener('abort', () => run.complete()),
    );
    expect(body).toMatchObject({ status: 'completed', progress: 100 });
  });

  it('records a handler that ignores its signal as aborted once SHUTDOWN_GRACE_MS is over', async () => {
    expect(await closeDuringRun({ ignore_signal: true }, () => undefined)).toMatchObject({
      status: 'aborted',
      error_code: 'shutdown',
      error_message: expect.stringContaining('did not reach a safe point within 200 ms'),
    });
  });
});
