import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestApp, type TestApp } from '../support/app.js';
import { pollAction } from '../support/poll.js';
import {
  TEST_ACTION,
  TEST_TIMEOUT_ACTION,
  TEST_TIMEOUT_MS,
  TestActionModule,
  TestGate,
  type GatedRun,
} from '../support/test-action.js';

const folder = mkdtempSync(join(tmpdir(), 'cluster-actions-no-return-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe.each([
  ['memory', () => 'memory:'],
  ['SQLite', () => `sqlite:${join(folder, `${Date.now()}-${Math.random()}.db`)}`],
])('the point of no return (%s store)', (_store, databaseUrl) => {
  let t: TestApp;
  let gate: TestGate;

  beforeEach(async () => {
    t = await createTestApp({ env: { DATABASE_URL: databaseUrl() }, imports: [TestActionModule] });
    gate = t.app.get(TestGate);
  });

  afterEach(() => t.close());

  const path = (name = TEST_ACTION): string => `/v1/cluster/actions/${name}`;

  async function started(body: object = {}, name = TEST_ACTION): Promise<GatedRun> {
    await t.http
      .post(path(name))
      .auth(...t.admin)
      .send(body)
      .expect(200);
    return gate.next();
  }

  it('after it, DELETE is 409 action_not_cancellable, the signal stays quiet and the run completes', async () => {
    const run = await started();
    expect((await t.http.get(path()).auth(...t.admin)).body).toMatchObject({
      status: 'running',
      cancellable: true,
    });
    await run.context.pointOfNoReturn();
    const refused = await t.http
      .delete(path())
      .auth(...t.admin)
      .expect(409);
    expect(refused.body).toEqual({
      error_code: 'action_not_cancellable',
      description: expect.stringMatching(/point of no return/),
    });
    expect(run.context.signal.aborted).toBe(false);
    expect((await t.http.get(path()).auth(...t.admin)).body).toMatchObject({
      status: 'running',
      cancellable: false,
    });
    run.complete();
    const seen = await pollAction(t.http, t.admin, TEST_ACTION);
    expect(seen.at(-1)).toMatchObject({ status: 'completed', cancellable: false });
    expect(seen.at(-1)).not.toHaveProperty('cancelled_by');
  });

  it('rejects with an AbortError when a cancel was recorded first; the run ends cancelled', async () => {
    const run = await started();
    await t.http
      .delete(path())
      .auth(...t.admin)
      .expect(200);
    await expect(run.context.pointOfNoReturn()).rejects.toMatchObject({ name: 'AbortError' });
    const seen = await pollAction(t.http, t.admin, TEST_ACTION);
    expect(seen.at(-1)).toMatchObject({ status: 'cancelled', cancellable: true });
  });

  it('a refused point of no return leaves the timeout as it was: a hung cancelled run still ends', async () => {
    const run = await started({ ignore_signal: true }, TEST_TIMEOUT_ACTION);
    await t.http
      .delete(path(TEST_TIMEOUT_ACTION))
      .auth(...t.admin)
      .expect(200);
    await expect(run.context.pointOfNoReturn()).rejects.toMatchObject({ name: 'AbortError' });
    // The handler never returns: the action's timeout records the cancel.
    const seen = await pollAction(t.http, t.admin, TEST_TIMEOUT_ACTION, undefined, TEST_TIMEOUT_MS * 10);
    expect(seen.at(-1)).toMatchObject({ status: 'cancelled', cancellable: true });
    run.complete();
  });

  it('never lets a cancel and the point of no return both win, when they race', async () => {
    const winners = new Set<string>();
    for (let round = 0; round < 20; round++) {
      const run = await started({ ignore_signal: true });
      // The DELETE takes a few ms to reach the session: declare at varying moments around it.
      const declaring = new Promise((resolve) => setTimeout(resolve, round % 5)).then(() =>
        run.context.pointOfNoReturn().then(
          () => true,
          () => false,
        ),
      );
      const [cancel, declared] = await Promise.all([t.http.delete(path()).auth(...t.admin), declaring]);
      winners.add(declared ? 'point of no return' : 'cancel');
      run.complete();
      const last = (await pollAction(t.http, t.admin, TEST_ACTION)).at(-1)!;
      if (declared) {
        expect(cancel.status).toBe(409);
        expect(last).toMatchObject({ status: 'completed', cancellable: false });
      } else {
        expect(cancel.status).toBe(200);
        expect(last).toMatchObject({ status: 'cancelled', cancellable: true });
      }
      await t.http
        .delete(path())
        .auth(...t.admin)
        .expect(200); // removes the finished status for the next round
    }
    expect(winners.size).toBe(2); // both orders happened
  });

  it('a timeout after it ends the run failed only if the handler gives up', async () => {
    const keepsGoing = await started({ ignore_signal: true }, TEST_TIMEOUT_ACTION);
    await keepsGoing.context.pointOfNoReturn();
    await new Promise((resolve) => setTimeout(resolve, TEST_TIMEOUT_MS * 2));
    expect(keepsGoing.context.signal.aborted).toBe(true);
    expect((await t.http.get(path(TEST_TIMEOUT_ACTION)).auth(...t.admin)).body.status).toBe('running');
    keepsGoing.complete();
    const completed = await pollAction(t.http, t.admin, TEST_TIMEOUT_ACTION);
    expect(completed.at(-1)).toMatchObject({ status: 'completed', cancellable: false });

    const givesUp = await started({}, TEST_TIMEOUT_ACTION);
    await givesUp.context.pointOfNoReturn();
    const failed = await pollAction(t.http, t.admin, TEST_TIMEOUT_ACTION);
    expect(failed.at(-1)).toMatchObject({ status: 'failed', error_code: 'timeout', cancellable: false });
  });
});
