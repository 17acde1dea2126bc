import { NodesRepository } from '../../src/cluster/nodes.repository.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { mastersOf, pollAction } from '../support/poll.js';
import { TEST_ACTION, TestActionModule, TestGate } from '../support/test-action.js';

const path = '/v1/cluster/actions/change_master';

describe('change_master with expected_master_uid', () => {
  let t: TestApp;

  beforeEach(async () => {
    // One execution slot, so that a test can hold a change_master queued behind the gated test action.
    t = await createTestApp({
      imports: [TestActionModule],
      env: { CLUSTER_NODES: '1,2,3', MAX_CONCURRENT_RUNS: '1' },
    });
  });

  afterEach(() => t.close());

  const master = async (): Promise<string | undefined> => (await mastersOf(t.http, t.admin))[0];

  const history = async (): Promise<Record<string, unknown>[]> =>
    (
      await t.http
        .get(`${path}/history`)
        .auth(...t.admin)
        .expect(200)
    ).body.actions as Record<string, unknown>[];

  it('starts and moves the master when the expected master is the master', async () => {
    const { body } = await t.http
      .post(path)
      .auth(...t.admin)
      .send({ node_uid: '2', expected_master_uid: '1' })
      .expect(200);
    expect(body).toMatchObject({ status: 'queued', node_uid: '2', expected_master_uid: '1' });
    expect((await pollAction(t.http, t.admin, 'change_master')).at(-1)).toMatchObject({
      status: 'completed',
    });
    expect(await master()).toBe('2');
  });

  it('is 409 precondition_failed when another node is master, and starts nothing', async () => {
    await t.http
      .post(path)
      .auth(...t.admin)
      .send({ node_uid: '3', expected_master_uid: '2' })
      .expect(409, {
        error_code: 'precondition_failed',
        description: 'expected_master_uid is 2, but node 1 is master.',
      });
    await t.http
      .get(path)
      .auth(...t.admin)
      .expect(404);
    expect(await master()).toBe('1');
  });

  it.each([['0'], ['01'], ['abc'], [''], ['1.5'], [1], [null]])(
    'is 400 invalid_request for expected_master_uid %j',
    async (value) => {
      const response = await t.http
        .post(path)
        .auth(...t.admin)
        .send({ node_uid: '2', expected_master_uid: value })
        .expect(400);
      expect(response.body.error_code).toBe('invalid_request');
      expect(response.body.description).toMatch(/expected_master_uid/);
    },
  );

  it('lets exactly one of two operators acting on the same stale view move the master', async () => {
    const operator = await t.userWithRole('admin');
    const attempt = (auth: readonly [string, string], target: string) =>
      t.http
        .post(path)
        .auth(...auth)
        .send({ node_uid: target, expected_master_uid: '1' });
    // Both saw node 1 as master and race; whichever did not start tries again once the other run is over.
    const first = await Promise.all([attempt(t.admin, '2'), attempt(operator, '3')]);
    for (const response of first) {
      if (response.status !== 200) {
        expect(response.status).toBe(409);
        expect(['action_in_progress', 'precondition_failed']).toContain(response.body.error_code);
      }
    }
    expect(first.some((response) => response.status === 200)).toBe(true);
    await pollAction(t.http, t.admin, 'change_master');
    const retried = await Promise.all([
      attempt(t.admin, '2').expect(409),
      attempt(operator, '3').expect(409),
    ]);
    for (const response of retried) expect(response.body.error_code).toBe('precondition_failed');

    const runs = await history();
    const moved = runs.filter((run) => run.status === 'completed');
    expect(moved).toHaveLength(1);
    // A run that got past POST before the master moved found it moved when it executed.
    for (const run of runs.filter((candidate) => candidate !== moved[0])) {
      expect(run).toMatchObject({ status: 'failed', error_code: 'precondition_failed' });
    }
    expect(await master()).toBe(moved[0].node_uid);
  });

  it('fails the run with precondition_failed when the master moved between POST and execution', async () => {
    // The only execution slot is taken: the change_master waits queued.
    await t.http
      .post(`/v1/cluster/actions/${TEST_ACTION}`)
      .auth(...t.admin)
      .send({})
      .expect(200);
    const gated = await t.app.get(TestGate).next();
    await t.http
      .post(path)
      .auth(...t.admin)
      .send({ node_uid: '2', expected_master_uid: '1' })
      .expect(200);
    // Meanwhile the master moves by other means.
    expect(await t.app.get(NodesRepository).setMaster(3)).toBe(true);
    gated.complete();

    const last = (await pollAction(t.http, t.admin, 'change_master')).at(-1);
    expect(last).toMatchObject({
      status: 'failed',
      error_code: 'precondition_failed',
      error_message: 'expected_master_uid is 1, but node 3 is master.',
      steps: [
        { name: 'prepare_handover', status: 'skipped' },
        { name: 'sync_configuration', status: 'skipped' },
        { name: 'switch_master', status: 'skipped' },
      ],
    });
    expect(await master()).toBe('3');
  });
});
