import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isTerminal, type ActionStatus } from '../../src/actions/action-lifecycle.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { BuiltService } from '../support/built-service.js';
import { requireBuild, ServiceProcess, waitFor } from '../support/service-process.js';
import { TEST_ACTION, TestActionModule, TestGate, type GatedRun } from '../support/test-action.js';

const ADMIN: readonly [string, string] = ['admin@crash.local', 'crash-admin-password'];

interface ActionBody {
  readonly action_uid: string;
  readonly status: ActionStatus;
  readonly step?: string;
  readonly error_code?: string;
  readonly error_message?: string;
}

/** The built service on a SQLite file; each change_master step takes a minute, so a run is reliably mid-way. */
const startService = (file: string) =>
  ServiceProcess.start(
    {
      DATABASE_URL: `sqlite:${file}`,
      ADMIN_EMAIL: ADMIN[0],
      ADMIN_PASSWORD: ADMIN[1],
      CHANGE_MASTER_STEP_MS: '60000',
      LOG_LEVEL: 'warn',
    },
    ADMIN,
  );

const action = (service: ServiceProcess) => service.json<ActionBody>('/v1/cluster/actions/change_master');

async function startChangeMaster(service: ServiceProcess, nodeUid: string): Promise<ActionBody> {
  const response = await service.request('POST', '/v1/cluster/actions/change_master', { node_uid: nodeUid });
  expect(response.status).toBe(200);
  const started = (await response.json()) as ActionBody;
  await waitFor('the run to be running', async () =>
    (await action(service)).status === 'running' ? true : undefined,
  );
  return started;
}

async function masters(service: ServiceProcess): Promise<string[]> {
  const status = await service.json<Record<string, { role: string }>>('/v1/nodes/status');
  return Object.keys(status).filter((uid) => status[uid]?.role === 'master');
}

describe('crash recovery of the built service', () => {
  let folder: string;
  let file: string;

  beforeAll(requireBuild);

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'cluster-actions-crash-'));
    file = join(folder, 'state.db');
  });

  afterEach(async () => {
    await BuiltService.killAll();
    rmSync(folder, { recursive: true, force: true });
  });

  it('after SIGKILL mid-run, a restart aborts the lost run, keeps the old master, and runs again', async () => {
    const crashed = await startService(file);
    const lost = await startChangeMaster(crashed, '2');
    await waitFor('the first step', async () =>
      (await action(crashed)).step === 'prepare_handover' ? true : undefined,
    );
    expect(await crashed.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });

    const restarted = await startService(file);
    expect(await action(restarted)).toEqual(
      expect.objectContaining({
        action_uid: lost.action_uid,
        status: 'aborted',
        error_code: 'executor_lost',
        error_message: expect.any(String),
        // The recovery closes the timeline too: the step the run was in failed, the others never ran.
        steps: [
          expect.objectContaining({
            name: 'prepare_handover',
            status: 'failed',
            end_time: expect.any(String),
          }),
          { name: 'sync_configuration', status: 'skipped' },
          { name: 'switch_master', status: 'skipped' },
        ],
      }),
    );
    expect(await masters(restarted)).toEqual(['1']);
    const next = await startChangeMaster(restarted, '3');
    expect(next.action_uid).not.toBe(lost.action_uid);
  }, 60_000);

  it('on SIGTERM mid-run, records the run as ended, exits 0, and the next start finds no run in progress', async () => {
    const stopped = await startService(file);
    const interrupted = await startChangeMaster(stopped, '2');
    expect(await stopped.stop('SIGTERM')).toEqual({ code: 0, signal: null });

    const restarted = await startService(file);
    const after = await action(restarted);
    expect(after).toEqual(
      expect.objectContaining({
        action_uid: interrupted.action_uid,
        status: 'aborted',
        error_code: 'shutdown',
      }),
    );
    expect(isTerminal(after.status)).toBe(true);
    expect(await masters(restarted)).toEqual(['1']);
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
