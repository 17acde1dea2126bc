import { createTestApp, type TestApp } from '../support/app.js';
import { pollAction } from '../support/poll.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { waitFor } from '../support/service-process.js';
import { TEST_ACTION, TestActionModule, TestGate } from '../support/test-action.js';

interface NodeBody {
  readonly uid: number;
  readonly addr: string;
  readonly role: string;
}

/** Two in-process replicas as the cluster, one run slot each, with short heartbeats. */
function replica(database: TestDatabase, addr: string): Promise<TestApp> {
  return createTestApp({
    imports: [TestActionModule],
    env: {
      DATABASE_URL: database.url,
      CLUSTER_NODES: 'replicas',
      NODE_ADDR: addr,
      NODE_HEARTBEAT_MS: '50',
      NODE_LEASE_MS: '60000', // only a hand-over moves the role within the test
      MAX_CONCURRENT_RUNS: '1',
    },
  });
}

/** The uid this replica says it is primary as (its own role in its own view). */
async function ownRole(app: TestApp, addr: string): Promise<string | undefined> {
  const nodes = (await app.http.get('/v1/nodes').auth(...app.admin)).body as NodeBody[];
  return nodes.find((node) => node.addr === addr)?.role;
}

describe('CLUSTER_NODES=replicas: a graceful stop of the primary loses no queued run', () => {
  let database: TestDatabase;
  const apps: TestApp[] = [];

  beforeEach(async () => {
    database = await createTestDatabase();
  });

  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close().catch(() => undefined);
    await database.drop();
  });

  it('gives a run that waited for a slot back to the next primary, which executes it', async () => {
    const primary = await replica(database, 'primary.test:1');
    apps.push(primary);
    await waitFor('the first replica to be primary', async () =>
      (await ownRole(primary, 'primary.test:1')) === 'master' ? true : undefined,
    );
    const next = await replica(database, 'next.test:1');
    apps.push(next);
    const nodes = (await next.http.get('/v1/nodes').auth(...next.admin)).body as NodeBody[];
    const nextUid = nodes.find((node) => node.addr === 'next.test:1')!.uid;

    // One run holds the primary's only slot; a change_master waits for it, queued and claimed by the primary.
    await next.http
      .post(`/v1/cluster/actions/${TEST_ACTION}`)
      .auth(...next.admin)
      .send({})
      .expect(200);
    await primary.app.get(TestGate).next();
    await next.http
      .post('/v1/cluster/actions/change_master')
      .auth(...next.admin)
      .send({ node_uid: String(nextUid) })
      .expect(200);
    await pollAction(next.http, next.admin, 'change_master', (body) => body.executor_node !== undefined);

    await primary.close();
    apps.splice(apps.indexOf(primary), 1);
    // The running run was stopped with the primary; the queued one was given back and runs on the new
    // primary (a change_master to itself: a no-op).
    expect((await pollAction(next.http, next.admin, TEST_ACTION)).at(-1)).toMatchObject({
      status: 'aborted',
      error_code: 'shutdown',
    });
    expect((await pollAction(next.http, next.admin, 'change_master')).at(-1)).toMatchObject({
      status: 'completed',
      executor_node: nextUid,
    });
  });
});
