import { createTestApp, type TestApp } from '../support/app.js';
import { pollAction } from '../support/poll.js';
import {
  TEST_ACTION,
  TEST_TIMEOUT_ACTION,
  TEST_TIMEOUT_MS,
  TestActionModule,
  TestGate,
} from '../support/test-action.js';

/** Handlers that misbehave: every case ends in a defined terminal state and the service keeps serving. */
describe('faults in handlers', () => {
  let t: TestApp;
  let gate: TestGate;

  beforeAll(async () => {
    t = await createTestApp({ imports: [TestActionModule] });
    gate = t.app.get(TestGate);
  });

  afterAll(() => t.close());

  afterEach(async () => {
    for (const name of [TEST_ACTION, TEST_TIMEOUT_ACTION])
      await t.http.delete(`/v1/cluster/actions/${name}`).auth(...t.admin);
    await t.http
      .get('/v1/cluster/actions')
      .auth(...t.admin)
      .expect(200, { actions: [] });
  });

  const start = (name = TEST_ACTION, body: object = {}) =>
    t.http
      .post(`/v1/cluster/actions/${name}`)
      .auth(...t.admin)
      .send(body)
      .expect(200);
  const last = async (name = TEST_ACTION) => (await pollAction(t.http, t.admin, name)).at(-1)!;

  it.each([
    ['a string', 'just a string', 'Handler threw a non-Error value: just a string'],
    ['undefined', undefined, 'Handler threw a non-Error value: undefined'],
    ['an object', { reason: 'x' }, 'Handler threw a non-Error value: [object Object]'],
    ['an Error without a message', new Error(''), 'Handler failed.'],
  ])('a handler throwing %s ends failed with internal_error', async (_case, thrown, message) => {
    await start();
    (await gate.next()).fail(thrown);
    expect(await last()).toMatchObject({
      status: 'failed',
      error_code: 'internal_error',
      error_message: message,
    });
  });

  it('cuts a very long error message', async () => {
    await start();
    (await gate.next()).fail(new Error('x'.repeat(10_000)));
    expect(((await last()).error_message as string).length).toBe(500);
  });

  it.each([
    ['above 100', 101],
    ['below 0', -1],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a string', '50' as unknown as number],
  ])('progress %s ends the run failed with invalid_progress and aborts the handler', async (_case, value) => {
    await start();
    const run = await gate.next();
    await run.progress(20);
    await run.progress(value);
    expect(run.context.signal.aborted).toBe(true);
    expect(await last()).toMatchObject({ status: 'failed', error_code: 'invalid_progress', progress: 20 });
  });

  it('progress below a previous value is kept at the previous value', async () => {
    await start();
    const run = await gate.next();
    for (const value of [10, 50, 30, 0, 70, 69]) await run.progress(value);
    const current = await t.http
      .get(`/v1/cluster/actions/${TEST_ACTION}`)
      .auth(...t.admin)
      .expect(200);
    expect(current.body.progress).toBe(70);
    run.complete();
    expect(await last()).toMatchObject({ status: 'completed', progress: 100 });
  });

  it('a handler that never returns ends failed with timeout, its signal aborted', async () => {
    await start(TEST_TIMEOUT_ACTION, { ignore_signal: true });
    const run = await gate.next();
    const finished = await last(TEST_TIMEOUT_ACTION);
    expect(finished).toMatchObject({ status: 'failed', error_code: 'timeout' });
    expect(finished.error_message).toContain(`${TEST_TIMEOUT_MS} ms`);
    expect(run.context.signal.aborted).toBe(true);
    run.complete(); // far too late: changes nothing
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await last(TEST_TIMEOUT_ACTION)).toEqual(finished);
  });

  it('a handler that ignores a cancel ends cancelled at its timeout', async () => {
    await start(TEST_TIMEOUT_ACTION, { ignore_signal: true });
    await gate.next();
    await t.http
      .delete(`/v1/cluster/actions/${TEST_TIMEOUT_ACTION}`)
      .auth(...t.admin)
      .expect(200);
    expect(await last(TEST_TIMEOUT_ACTION)).toMatchObject({ status: 'cancelled' });
  });

  it('keeps serving after all of the above', async () => {
    await start();
    (await gate.next()).complete();
    expect(await last()).toMatchObject({ status: 'completed' });
  });
});
