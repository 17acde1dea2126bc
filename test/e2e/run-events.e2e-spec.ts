import type { ActionRun } from '../../src/actions/action-run.js';
import { RunEvents } from '../../src/actions/run-events.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { TEST_ACTION, TestActionModule, TestGate } from '../support/test-action.js';

const path = `/v1/cluster/actions/${TEST_ACTION}`;

describe('the run change seam (RunEvents)', () => {
  let t: TestApp;
  let changes: ActionRun[];

  beforeEach(async () => {
    // A short lease, so that renewals happen while the run is held and can be seen not to be published.
    t = await createTestApp({ imports: [TestActionModule], env: { ACTION_LEASE_MS: '300' } });
    changes = [];
    t.app.get(RunEvents).subscribe((run) => changes.push(run));
  });

  afterEach(() => t.close());

  it('publishes every stored state of a run once, in order, and not its lease renewals', async () => {
    await t.http
      .post(path)
      .auth(...t.admin)
      .send({})
      .expect(200);
    const run = await t.app.get(TestGate).next();
    await run.progress(40, 'half');
    await new Promise((resolve) => setTimeout(resolve, 400)); // a few lease renewals
    run.complete();
    await run.done;
    await new Promise((resolve) => setTimeout(resolve, 50));
    await t.http
      .delete(path)
      .auth(...t.admin)
      .expect(200);

    expect(changes.map(({ status, progress, step, hidden }) => ({ status, progress, step, hidden }))).toEqual(
      [
        { status: 'queued', progress: 0, step: undefined, hidden: undefined },
        { status: 'starting', progress: 0, step: undefined, hidden: undefined },
        { status: 'running', progress: 0, step: undefined, hidden: undefined },
        { status: 'running', progress: 40, step: 'half', hidden: undefined },
        { status: 'completed', progress: 100, step: 'half', hidden: undefined },
        { status: 'completed', progress: 100, step: 'half', hidden: true },
      ],
    );
    expect(new Set(changes.map((change) => change.actionUid)).size).toBe(1);
  });

  it('publishes a cancel written by the service', async () => {
    await t.http
      .post(path)
      .auth(...t.admin)
      .send({})
      .expect(200);
    await t.app.get(TestGate).next();
    await t.http
      .delete(path)
      .auth(...t.admin)
      .expect(200);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(changes.map((change) => change.status).slice(-2)).toEqual(['cancelling', 'cancelled']);
  });
});
