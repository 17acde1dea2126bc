import pg from 'pg';
import { isTerminal, type ActionStatus } from '../../src/actions/action-lifecycle.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { BuiltService } from '../support/built-service.js';
import { requireBuild, ServiceProcess, waitFor } from '../support/service-process.js';

const ADMIN: readonly [string, string] = ['admin@replicas.local', 'replicas-admin-password'];
const LEASE_MS = 1500;
const CHANGE_MASTER = '/v1/cluster/actions/change_master';

interface ActionBody {
  readonly action_uid: string;
  readonly status: ActionStatus;
  readonly progress: number;
  readonly step?: string;
  readonly error_code?: string;
}

/** Three replicas of the built service on one PostgreSQL database, as behind a load balancer. */
async function startReplicas(database: TestDatabase, stepMs: number): Promise<ServiceProcess[]> {
  const env = {
    DATABASE_URL: database.url,
    ADMIN_EMAIL: ADMIN[0],
    ADMIN_PASSWORD: ADMIN[1],
    CHANGE_MASTER_STEP_MS: String(stepMs),
    ACTION_LEASE_MS: String(LEASE_MS),
    LOG_LEVEL: 'warn',
    AUDIT_LOG: 'off',
  };
  // One after the other: the first migrates and seeds; the others find it done (concurrent starts are tested
  // in the PostgreSQL contract suite).
  const replicas: ServiceProcess[] = [];
  for (let i = 0; i < 3; i++) replicas.push(await ServiceProcess.start(env, ADMIN));
  return replicas;
}

const action = (replica: ServiceProcess) => replica.json<ActionBody>(CHANGE_MASTER);

async function masters(replica: ServiceProcess): Promise<string[]> {
  const status = await replica.json<Record<string, { role: string }>>('/v1/nodes/status');
  return Object.keys(status).filter((uid) => status[uid]?.role === 'master');
}

async function start(replica: ServiceProcess, nodeUid: string): Promise<ActionBody> {
  const response = await replica.request('POST', CHANGE_MASTER, { node_uid: nodeUid });
  expect(response.status).toBe(200);
  return (await response.json()) as ActionBody;
}

/** Waits until the run reads `status` from `replica`. */
function statusOf(replica: ServiceProcess, wanted: (body: ActionBody) => boolean, timeoutMs?: number) {
  return waitFor(
    'the run to reach the wanted state',
    async () => {
      const body = await action(replica);
      return wanted(body) ? body : undefined;
    },
    timeoutMs,
  );
}

describe('three replicas on one PostgreSQL database', () => {
  let database: TestDatabase;

  beforeAll(requireBuild);

  beforeEach(async () => {
    database = await createTestDatabase();
  });

  afterEach(async () => {
    await BuiltService.killAll();
    await database.drop();
  });

  it('90 parallel starts spread over the replicas give exactly one 200; every replica reads the same run', async () => {
    const replicas = await startReplicas(database, 300);
    const answers = await Promise.all(
      Array.from({ length: 90 }, (_, i) => replicas[i % 3].request('POST', CHANGE_MASTER, { node_uid: '2' })),
    );
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 409)).toHaveLength(89);
    for (const answer of answers.filter((a) => a.status === 409)) {
      expect(await answer.json()).toMatchObject({ error_code: 'action_in_progress' });
    }

    // Mid-run, each replica answers the run as stored: the same uid, status, step and progress.
    await statusOf(replicas[0], (body) => body.status === 'running' && body.progress > 0);
    const views = await Promise.all(replicas.map(action));
    const [first] = views;
    for (const view of views) {
      expect(view.action_uid).toBe(first.action_uid);
      expect(view.status).toBe('running');
    }
    const done = await statusOf(replicas[2], (body) => isTerminal(body.status));
    expect(done).toMatchObject({ status: 'completed', progress: 100 });
    for (const replica of replicas) expect(await masters(replica)).toEqual(['2']);
  }, 90_000);

  it('a DELETE on a replica that does not execute the run cancels it there within about a second', async () => {
    const replicas = await startReplicas(database, 60_000);
    const [executor, other, reader] = replicas;
    await start(executor, '2');
    await statusOf(reader, (body) => body.status === 'running');

    const sent = Date.now();
    const response = await other.request('DELETE', CHANGE_MASTER);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'cancelling' });
    await statusOf(reader, (body) => body.status === 'cancelled', 5000);
    const tookMs = Date.now() - sent;
    expect(tookMs).toBeLessThan(1500);
    // The executor stopped the handler: the master never moved.
    for (const replica of replicas) expect(await masters(replica)).toEqual(['1']);
  }, 90_000);

  it('SIGKILL of the executing replica mid-run: a survivor ends the run aborted within the lease', async () => {
    const replicas = await startReplicas(database, 60_000);
    const [executor, survivor] = replicas;
    const run = await start(executor, '3');
    await statusOf(survivor, (body) => body.status === 'running');

    const killed = Date.now();
    await executor.stop('SIGKILL');
    const recovered = await statusOf(survivor, (body) => isTerminal(body.status), 4 * LEASE_MS);
    expect(recovered).toMatchObject({
      action_uid: run.action_uid,
      status: 'aborted',
      error_code: 'executor_lost',
    });
    // Within the lease, plus one sweep period and a poll.
    expect(Date.now() - killed).toBeLessThan(LEASE_MS + 1500);
    expect(await masters(survivor)).toEqual(['1']);
    expect(await masters(replicas[2])).toEqual(['1']);

    // And the survivors start and complete a new run.
    await start(survivor, '2');
  }, 90_000);

  it('an executor paused past its lease cannot write once it resumes: the recovered run stays aborted', async () => {
    const replicas = await startReplicas(database, 400);
    const [executor, survivor] = replicas;
    const run = await start(executor, '2');
    await statusOf(survivor, (body) => body.status === 'running');

    executor.pause();
    // Expire the lease in the database, as a long GC pause or a network split would.
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query(
        "UPDATE action_runs SET lease_expires_at = now() - interval '1 minute' WHERE action_uid = $1",
        [run.action_uid],
      );
    } finally {
      await client.end();
    }
    const recovered = await statusOf(survivor, (body) => isTerminal(body.status), 5000);
    expect(recovered).toMatchObject({ status: 'aborted', error_code: 'executor_lost' });

    executor.resume();
    // The executor's next step write is refused by the fence; its handler stops before the switch.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const after = await action(survivor);
    expect(after).toMatchObject({
      action_uid: run.action_uid,
      status: 'aborted',
      error_code: 'executor_lost',
    });
    expect(after.progress).toBe(recovered.progress);
    for (const replica of replicas) expect(await masters(replica)).toEqual(['1']);
    expect(executor.output).toMatch(/stopping its handler/);
  }, 90_000);
});
