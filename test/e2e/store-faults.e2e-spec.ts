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

  it('rides out a few failed writes: each is tried again and the run completes with every step recorded', async () => {
    await t.http
      .post(PATH)
      .auth(...t.admin)
      .expect(200);
    const run = await gate.next();
    // Only the writes under test fail; the lease renewals (every 100 ms here) go through.
    store.failUpdates(2, (patch) => patch.progress === 40);
    await run.progress(40, 'through a flaky store');
    expect(store.refusedUpdates).toEqual([
      { progress: 40, step: 'through a flaky store' },
      { progress: 40, step: 'through a flaky store' },
    ]);
    const running = await t.http
      .get(PATH)
      .auth(...t.admin)
      .expect(200);
    expect(running.body).toMatchObject({ status: 'running', progress: 40, step: 'through a flaky store' });

    store.failUpdates(2, (patch) => patch.status === 'completed');
    run.complete();
    const last = (await pollAction(t.http, t.admin, TEST_ACTION)).at(-1)!;
    expect(last).toMatchObject({ status: 'completed', progress: 100, step: 'through a flaky store' });
    expect(store.refusedUpdates.slice(2)).toEqual([
      expect.objectContaining({ status: 'completed' }),
      expect.objectContaining({ status: 'completed' }),
    ]);
  });

  it('gives up a run it cannot record (500 and 503 meanwhile) and recovers it as aborted once the store is back', async () => {
    await t.http
      .post(PATH)
      .auth(...t.admin)
      .expect(200);
    const run = await gate.next();
    store.down = true;
    const progress = run.progress(50).catch((error: unknown) => error);
    // While the session retries (about 3 s), the API answers 500 with the standard body and /ready 503.
    const listing = await t.http
      .get('/v1/cluster/actions')
      .auth(...t.admin)
      .expect(500);
    expect(listing.body).toEqual({
      error_code: 'internal_error',
      description: 'The service failed to handle the request.',
    });
    await t.http
      .get('/ready')
      .expect(503, { error_code: 'store_unavailable', description: 'The store does not answer.' });
    expect(run.context.signal.aborted).toBe(false);
    // Then it aborts the handler and leaves the run to recovery: the write was tried once and retried 5 times.
    await expect(progress).resolves.toBeInstanceOf(Error);
    expect(run.context.signal.aborted).toBe(true);
    expect(store.refusedUpdates).toEqual(Array.from({ length: 6 }, () => ({ progress: 50 })));

    store.down = false;
    await t.http.get('/ready').expect(200, { status: 'ok' });
    const last = (await pollAction(t.http, t.admin, TEST_ACTION, undefined, 5000)).at(-1)!;
    expect(last).toMatchObject({ status: 'aborted', error_code: 'executor_lost', progress: 0 });
    await t.http
      .post(PATH)
      .auth(...t.admin)
      .expect(200);
  });
});
