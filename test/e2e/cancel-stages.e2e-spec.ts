import { createTestApp, type TestApp } from '../support/app.js';
import { drainMicrotasks } from '../support/cancel-race.js';
import { FlakyActionsRepository } from '../support/flaky-actions.repository.js';
import { pollAction } from '../support/poll.js';
import { TEST_ACTION, TEST_TIMEOUT_ACTION, TestActionModule, TestGate } from '../support/test-action.js';

const path = (name: string) => `/v1/cluster/actions/${name}`;

/** DELETE at every stage of a run's life, including the short-lived queued and starting states. */
describe('cancel at each lifecycle stage', () => {
  let t: TestApp;
  let gate: TestGate;
  let store: FlakyActionsRepository;

  beforeEach(async () => {
    store = new FlakyActionsRepository();
    // One execution slot: a second action type waits queued while the first runs.
    t = await createTestApp({
      imports: [TestActionModule],
      actionsRepository: store,
      env: { MAX_CONCURRENT_RUNS: '1' },
    });
    gate = t.app.get(TestGate);
  });

  afterEach(() => t.close());

  const start = (name: string) =>
    t.http
      .post(path(name))
      .auth(...t.admin)
      .send({})
      .expect(200);
  const get = async (name: string) =>
    (
      await t.http
        .get(path(name))
        .auth(...t.admin)
        .expect(200)
    ).body as Record<string, unknown>;

  it('queued: waits for a free slot, then runs', async () => {
    await start(TEST_ACTION);
    const first = await gate.next();
    await start(TEST_TIMEOUT_ACTION);
    expect(await get(TEST_TIMEOUT_ACTION)).toMatchObject({ status: 'queued', progress: 0 });
    first.complete();
    const second = await gate.next();
    expect(await get(TEST_TIMEOUT_ACTION)).toMatchObject({ status: 'running' });
    second.complete();
    await pollAction(t.http, t.admin, TEST_TIMEOUT_ACTION);
  });

  it('queued: DELETE cancels it at once and its handler never runs', async () => {
    await start(TEST_ACTION);
    const first = await gate.next();
    await start(TEST_TIMEOUT_ACTION);
    const cancelled = await t.http
      .delete(path(TEST_TIMEOUT_ACTION))
      .auth(...t.admin)
      .expect(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', cancelled_by: t.admin[0] });
    expect(cancelled.body.end_time).toEqual(expect.any(String));
    first.complete();
    await pollAction(t.http, t.admin, TEST_ACTION);
    // The slot went to nobody: the cancelled run stayed cancelled and never entered its handler.
    await expect(gate.next(300)).rejects.toThrow('No run entered');
    expect(await get(TEST_TIMEOUT_ACTION)).toMatchObject({ status: 'cancelled' });
  });

  it('starting: DELETE ends it cancelled before its handler runs', async () => {
    // The run stays `starting` while its write to `running` is held.
    const toRunning = store.holdWritesTo('running');
    await start(TEST_ACTION);
    await toRunning.reached;
    const read = store.nextRead(TEST_ACTION);
    const cancel = t.http
      .delete(path(TEST_ACTION))
      .auth(...t.admin)
      .then((response) => response);
    // The DELETE read the run as starting; once its continuation has run, its cancel waits in the run's session.
    await read;
    await drainMicrotasks();
    toRunning.release();
    const response = await cancel;
    expect(response.status).toBe(200);
    expect(response.body.status).toBe('cancelling');
    expect((await pollAction(t.http, t.admin, TEST_ACTION)).at(-1)).toMatchObject({ status: 'cancelled' });
    await expect(gate.next(300)).rejects.toThrow('No run entered');
  });

  it('running: cancelling, then cancelled when the handler stops', async () => {
    await start(TEST_ACTION);
    const run = await gate.next();
    const response = await t.http
      .delete(path(TEST_ACTION))
      .auth(...t.admin)
      .expect(200);
    expect(response.body.status).toBe('cancelling');
    expect(run.context.signal.aborted).toBe(true);
    expect((await pollAction(t.http, t.admin, TEST_ACTION)).at(-1)).toMatchObject({ status: 'cancelled' });
  });

  it.each(['completed', 'failed', 'cancelled'] as const)('%s: DELETE removes the status', async (outcome) => {
    await start(TEST_ACTION);
    const run = await gate.next();
    if (outcome === 'completed') run.complete();
    else if (outcome === 'failed') run.fail(new Error('no'));
    else
      await t.http
        .delete(path(TEST_ACTION))
        .auth(...t.admin)
        .expect(200);
    expect((await pollAction(t.http, t.admin, TEST_ACTION)).at(-1)).toMatchObject({ status: outcome });
    const removed = await t.http
      .delete(path(TEST_ACTION))
      .auth(...t.admin)
      .expect(200);
    expect(removed.body.status).toBe(outcome);
    await t.http
      .get(path(TEST_ACTION))
      .auth(...t.admin)
      .expect(404);
  });
});
