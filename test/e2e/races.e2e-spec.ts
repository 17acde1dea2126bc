import type { ActionStatus } from '../../src/actions/action-lifecycle.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { raceCancelWithResult, type RaceOrder } from '../support/cancel-race.js';
import { FlakyActionsRepository } from '../support/flaky-actions.repository.js';
import { pollAction } from '../support/poll.js';
import { TEST_ACTION, TestActionModule, TestGate } from '../support/test-action.js';

const PATH = `/v1/cluster/actions/${TEST_ACTION}`;
const ROUNDS = 40;

/** Races run many times each: every round must end in exactly one legal terminal state. */
describe('races', () => {
  let t: TestApp;
  let gate: TestGate;
  let store: FlakyActionsRepository;

  beforeAll(async () => {
    store = new FlakyActionsRepository();
    t = await createTestApp({ imports: [TestActionModule], actionsRepository: store });
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

  it('a failure racing a cancel ends either failed or cancelled, never both, whichever lands first', async () => {
    const outcomes = new Set<ActionStatus>();
    for (let round = 0; round < ROUNDS; round++) {
      const order: RaceOrder = round % 2 === 0 ? 'result first' : 'cancel first';
      await start({ ignore_signal: true }).expect(200);
      const run = await gate.next();
      const response = await raceCancelWithResult(
        { store, run, settle: () => run.fail(new Error('boom')), resultStatus: 'failed', cancel },
        order,
      );
      expect(response.status).toBe(200);
      const last = order === 'result first' ? response.body : await finished();
      if (order === 'result first') {
        // The failure was recorded first; the DELETE, which had read the run as running, removed the finished run.
        expect(response.body).toMatchObject({
          status: 'failed',
          error_code: 'internal_error',
          error_message: 'boom',
        });
        await t.http
          .get(PATH)
          .auth(...t.admin)
          .expect(404);
      } else {
        // The cancel was recorded first: the failure that follows does not turn the run failed.
        expect(response.body.status).toBe('cancelling');
        expect(last).toMatchObject({ status: 'cancelled', cancelled_by: t.admin[0] });
        expect(last.error_code).toBeUndefined();
      }
      outcomes.add(last.status as ActionStatus);
    }
    expect([...outcomes].sort()).toEqual(['cancelled', 'failed']);
  });
});
