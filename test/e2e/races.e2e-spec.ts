import { isTerminal, type ActionStatus } from '../../src/actions/action-lifecycle.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { pollAction } from '../support/poll.js';
import { TEST_ACTION, TestActionModule, TestGate } from '../support/test-action.js';

const PATH = `/v1/cluster/actions/${TEST_ACTION}`;
const ROUNDS = 40;

/** Races run many times each: every round must end in exactly one legal terminal state. */
describe('races', () => {
  let t: TestApp;
  let gate: TestGate;

  beforeAll(async () => {
    t = await createTestApp({ imports: [TestActionModule] });
    gate = t.app.get(TestGate);
  });

  afterAll(() => t.close());

  afterEach(async () => {
    // Each race leaves at most a finished status behind; clear it for the next.
    const current = await t.http.get(PATH).auth(...t.admin);
    if (current.status === 200)
      await t.http
        .delete(PATH)
        .auth(...t.admin)
        .expect(200);
  });

  const start = (body: object = {}) =>
    t.http
      .post(PATH)
      .auth(...t.admin)
      .send(body);
  const cancel = () => t.http.delete(PATH).auth(...t.admin);
  const finished = async () => (await pollAction(t.http, t.admin, TEST_ACTION)).at(-1)!;

  it('two cancels at once both answer 200 and the run is cancelled once', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      await start().expect(200);
      await gate.next();
      const [first, second] = await Promise.all([cancel(), cancel()]);
      expect([first.status, second.status]).toEqual([200, 200]);
      expect(['cancelling', 'cancelled']).toContain(first.body.status);
      expect(['cancelling', 'cancelled']).toContain(second.body.status);
      // A DELETE that arrives once the run is cancelled removes the cancelled status, as for any finished run.
      const current = await t.http.get(PATH).auth(...t.admin);
      if (current.status === 404) continue;
      expect((await finished()).status).toBe('cancelled');
    }
  });

  it('a start racing the removal of a finished status never resurrects the old run', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const old = await start().expect(200);
      (await gate.next()).complete();
      await finished();
      const [started, removed] = await Promise.all([start(), cancel()]);
      expect(started.status).toBe(200);
      expect(removed.status).toBe(200);
      const newUid = started.body.action_uid as string;
      if (removed.body.action_uid === old.body.action_uid) {
        // The removal came first: the new run is untouched.
        expect(removed.body.status).toBe('completed');
      } else {
        // The start came first: the DELETE cancelled the new run.
        expect(removed.body.action_uid).toBe(newUid);
      }
      const run = await gate.next();
      run.complete();
      const last = await finished();
      expect(last.action_uid).toBe(newUid);
      expect(['completed', 'cancelled']).toContain(last.status);
      if (removed.body.action_uid === old.body.action_uid) expect(last.status).toBe('completed');
    }
  });

  it('progress reported after a cancel changes nothing', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      await start({ ignore_signal: true }).expect(200);
      const run = await gate.next();
      await run.progress(10);
      await cancel().expect(200);
      await run.progress(90, 'late');
      const current = await t.http
        .get(PATH)
        .auth(...t.admin)
        .expect(200);
      expect(current.body).toMatchObject({ status: 'cancelling', progress: 10 });
      run.complete();
      expect(await finished()).toMatchObject({ status: 'cancelled', progress: 10 });
    }
  });

  it('a failure racing a cancel ends either failed or cancelled, never both', async () => {
    const outcomes = new Set<ActionStatus>();
    for (let round = 0; round < ROUNDS; round++) {
      await start({ ignore_signal: true }).expect(200);
      const run = await gate.next();
      const [response] = await Promise.all([cancel(), Promise.resolve(run.fail(new Error('boom')))]);
      expect(response.status).toBe(200);
      if (isTerminal(response.body.status as ActionStatus)) {
        // The failure landed first; the DELETE removed the finished run.
        expect(response.body.status).toBe('failed');
        outcomes.add('failed');
        await t.http
          .get(PATH)
          .auth(...t.admin)
          .expect(404);
      } else {
        const last = await finished();
        expect(last.status).toBe('cancelled');
        outcomes.add('cancelled');
      }
    }
    expect(outcomes.size).toBeGreaterThan(0);
  });
});
