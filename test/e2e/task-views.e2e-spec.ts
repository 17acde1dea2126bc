import type TestAgent from 'supertest/lib/agent.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { FlakyActionsRepository } from '../support/flaky-actions.repository.js';
import { pollAction } from '../support/poll.js';
import { TEST_ACTION, TestActionModule, TestGate, type GatedRun } from '../support/test-action.js';

const path = `/v1/cluster/actions/${TEST_ACTION}`;

interface TaskBody {
  readonly action_uid: string;
  readonly name: string;
  readonly status: string;
  readonly progress: string;
  readonly [field: string]: unknown;
}

/** The statuses on which redisctl's poller stops; on any other it polls again. */
const SUCCESS = 'completed';
const FAILURE = ['failed', 'cancelled'];

/**
 * How redisctl waits for a task: GET /v1/actions/{uid} every interval (5 s there, shortened here) until
 * `completed` or `failed` / `cancelled`, taking a failure's message from `error`. Gives up after `maxPolls`,
 * which for redisctl would be ten minutes of polling a run that already ended.
 */
async function pollLikeRedisctl(
  http: TestAgent,
  auth: readonly [string, string],
  uid: string,
  version: 'v1' | 'v2' = 'v1',
  maxPolls = 1000,
): Promise<{ outcome: 'success' | 'failure'; task: TaskBody; seen: string[] }> {
  const seen: string[] = [];
  for (let poll = 0; poll < maxPolls; poll++) {
    const response = await http.get(`/${version}/actions/${uid}`).auth(...auth);
    if (response.status !== 200)
      throw new Error(`GET /${version}/actions/${uid} answered ${response.status}`);
    const task = response.body as TaskBody;
    if (seen.at(-1) !== task.status) seen.push(task.status);
    if (task.status === SUCCESS) return { outcome: 'success', task, seen };
    if (FAILURE.includes(task.status)) return { outcome: 'failure', task, seen };
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`The poller would loop forever: it saw ${seen.join(' -> ')}`);
}

describe('Redis Enterprise task views', () => {
  let t: TestApp;
  let gate: TestGate;
  let store: FlakyActionsRepository;

  beforeEach(async () => {
    store = new FlakyActionsRepository();
    t = await createTestApp({
      imports: [TestActionModule],
      actionsRepository: store,
      env: { ACTION_LEASE_MS: '300' },
    });
    gate = t.app.get(TestGate);
  });

  afterEach(() => t.close());

  async function start(): Promise<{ uid: string; run: GatedRun }> {
    const response = await t.http
      .post(path)
      .auth(...t.admin)
      .send({ label: 'task' })
      .expect(200);
    return { uid: (response.body as TaskBody).action_uid, run: await gate.next() };
  }

  describe.each(['v1', 'v2'] as const)('/%s/actions', (version) => {
    it('lists the active and latest runs, progress as a string, with no state machines', async () => {
      await t.http
        .get(`/${version}/actions`)
        .auth(...t.admin)
        .expect(200, { actions: [], 'state-machines': [] });
      const { uid, run } = await start();
      await run.progress(50, 'halfway');
      const { body } = await t.http
        .get(`/${version}/actions`)
        .auth(...t.admin)
        .expect(200);
      const listed = (
        await t.http
          .get(path)
          .auth(...t.admin)
          .expect(200)
      ).body as Record<string, unknown>;
      expect(body).toEqual({
        actions: [{ ...listed, progress: '50' }],
        'state-machines': [],
      });
      expect(body.actions[0]).toMatchObject({
        action_uid: uid,
        status: 'running',
        step: 'halfway',
        label: 'task',
      });
    });

    it('answers any kept run by its uid, replaced or hidden, and 404 action_not_found otherwise', async () => {
      const first = await start();
      first.run.complete();
      await pollAction(t.http, t.admin, TEST_ACTION);
      const second = await start();
      second.run.fail(new Error('it broke'));
      await pollAction(t.http, t.admin, TEST_ACTION);
      await t.http
        .delete(path)
        .auth(...t.admin)
        .expect(200);

      const replaced = await t.http
        .get(`/${version}/actions/${first.uid}`)
        .auth(...t.admin)
        .expect(200);
      expect(replaced.body).toMatchObject({ action_uid: first.uid, status: 'completed', progress: '100' });
      const hidden = await t.http
        .get(`/${version}/actions/${second.uid}`)
        .auth(...t.admin)
        .expect(200);
      expect(hidden.body).toMatchObject({
        action_uid: second.uid,
        status: 'failed',
        error_code: 'internal_error',
        error_message: 'it broke',
        error: 'it broke',
      });
      // The hidden run is out of the list, as from the status routes.
      await t.http
        .get(`/${version}/actions`)
        .auth(...t.admin)
        .expect(200, { actions: [], 'state-machines': [] });

      await t.http
        .get(`/${version}/actions/00000000-0000-4000-8000-000000000000`)
        .auth(...t.admin)
        .expect(404, {
          error_code: 'action_not_found',
          description: 'There is no run with action_uid "00000000-0000-4000-8000-000000000000".',
        });
    });

    it('needs the view permission', async () => {
      const viewer = await t.userWithRole('db_viewer');
      await t.http
        .get(`/${version}/actions`)
        .auth(...viewer)
        .expect(200);
      await t.http.get(`/${version}/actions`).expect(401);
      await t.http.get(`/${version}/actions/x`).expect(401);
      const remove = await t.http
        .delete(`/${version}/actions/x`)
        .auth(...t.admin)
        .expect(405);
      expect(remove.headers.allow).toBe('GET');
    });
  });

  describe("redisctl's poller ends for every terminal state", () => {
    it('completed: success', async () => {
      const { uid, run } = await start();
      const polling = pollLikeRedisctl(t.http, t.admin, uid);
      await run.progress(50);
      run.complete();
      const { outcome, task } = await polling;
      expect(outcome).toBe('success');
      expect(task).toMatchObject({ status: 'completed', progress: '100' });
    });

    it('failed: failure, with the message in error', async () => {
      const { uid, run } = await start();
      const polling = pollLikeRedisctl(t.http, t.admin, uid, 'v2');
      run.fail(new Error('the target went away'));
      const { outcome, task } = await polling;
      expect(outcome).toBe('failure');
      expect(task).toMatchObject({
        status: 'failed',
        error_code: 'internal_error',
        error: 'the target went away',
      });
    });

    it('cancelled: failure', async () => {
      const { uid } = await start();
      const polling = pollLikeRedisctl(t.http, t.admin, uid);
      await t.http
        .delete(path)
        .auth(...t.admin)
        .expect(200);
      const { outcome, task, seen } = await polling;
      expect(outcome).toBe('failure');
      expect(task.status).toBe('cancelled');
      expect(seen[0]).toBe('running');
    });

    it('aborted (the store lost the run): reported failed, so the poller stops, with why in error_code and error', async () => {
      const { uid, run } = await start();
      const polling = pollLikeRedisctl(t.http, t.admin, uid);
      // Every write of this progress fails: the session gives the run up, recovery records it aborted.
      store.failUpdates(6, (patch) => patch.progress === 50);
      await expect(run.progress(50)).rejects.toBeInstanceOf(Error);
      const { outcome, task, seen } = await polling;
      expect(outcome).toBe('failure');
      expect(seen).toEqual(['running', 'failed']);
      expect(task).toMatchObject({
        status: 'failed',
        error_code: 'executor_lost',
        error: expect.stringContaining('Nobody renewed the lease'),
      });
      // The cluster actions routes keep the lifecycle's own word.
      await t.http
        .get(path)
        .auth(...t.admin)
        .expect(200)
        .expect((response) => expect(response.body).toMatchObject({ action_uid: uid, status: 'aborted' }));
    });
  });
});
