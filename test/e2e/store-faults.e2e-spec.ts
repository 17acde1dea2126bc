import { createTestApp, type TestApp } from '../support/app.js';
import { FlakyActionsRepository } from '../support/flaky-actions.repository.js';
import { pollAction } from '../support/poll.js';
import { TEST_ACTION, TestActionModule, TestGate } from '../support/test-action.js';

const PATH = `/v1/cluster/actions/${TEST_ACTION}`;

/** The store failing under a run: the run ends in a defined state, nothing is half-written, the service goes on. */
describe('faults in the store', () => {
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

  it('rides out a few failed writes: the run completes with every step recorded', async () => {
    await t.http
      .post(PATH)
      .auth(...t.admin)
      .expect(200);
    const run = await gate.next();
    store.failingUpdates = 2;
    await run.progress(40, 'through a flaky store');
    store.failingUpdates = 2;
    run.complete();
    const last = (await pollAction(t.http, t.admin, TEST_ACTION)).at(-1)!;
    expect(last).toMatchObject({ status: 'completed', progress: 100, step: 'through a flaky store' });
  });

  it('answers 500 with the standard body while the store is down, and serves again once it is back', async () => {
    store.down = true;
    const response = await t.http
      .get('/v1/cluster/actions')
      .auth(...t.admin)
      .expect(500);
    expect(response.body).toEqual({
      error_code: 'internal_error',
      description: 'The service failed to handle the request.',
    });
    store.down = false;
    await t.http
      .get('/v1/cluster/actions')
      .auth(...t.admin)
      .expect(200, { actions: [] });
  });

  it('gives up a run it cannot record and recovers it as aborted once the store is back', async () => {
    await t.http
      .post(PATH)
      .auth(...t.admin)
      .expect(200);
    const run = await gate.next();
    store.down = true;
    const progress = run.progress(50).catch((error: unknown) => error);
    // The session retries for about 3 s, then aborts the handler and leaves the run to recovery.
    await expect(progress).resolves.toBeInstanceOf(Error);
    expect(run.context.signal.aborted).toBe(true);
    store.down = false;
    const last = (await pollAction(t.http, t.admin, TEST_ACTION, undefined, 5000)).at(-1)!;
    expect(last).toMatchObject({ status: 'aborted', error_code: 'executor_lost', progress: 0 });
    await t.http
      .post(PATH)
      .auth(...t.admin)
      .expect(200);
  });
});
