import { Module } from '@nestjs/common';
import { ClusterAction } from 'cluster-actions';
import { createTestApp, type TestApp } from '../support/app.js';
import { pollAction, timelineOf as timeline, type ActionBody } from '../support/poll.js';
import {
  TestActionHandler,
  TestActionModule,
  TestActionParams,
  TestGate,
  type GatedRun,
} from '../support/test-action.js';

const STEPPED_ACTION = 'test_steps';
const path = `/v1/cluster/actions/${STEPPED_ACTION}`;

/** The gated test action, declaring three steps. */
@ClusterAction({ name: STEPPED_ACTION, params: TestActionParams, steps: ['first', 'second', 'third'] })
class SteppedActionHandler extends TestActionHandler {}

@Module({ imports: [TestActionModule], providers: [SteppedActionHandler] })
class SteppedActionModule {}

describe('the step timeline of an action type that declares its steps', () => {
  let t: TestApp;
  let run: GatedRun;

  beforeEach(async () => {
    t = await createTestApp({ imports: [SteppedActionModule] });
    await t.http
      .post(path)
      .auth(...t.admin)
      .send({})
      .expect(200);
    run = await t.app.get(TestGate).next();
  });

  afterEach(() => t.close());

  const current = async (): Promise<ActionBody> =>
    (
      await t.http
        .get(path)
        .auth(...t.admin)
        .expect(200)
    ).body as ActionBody;

  it('skips the steps jumped over, keeps the timeline on progress without a step, and closes it', async () => {
    await run.progress(10, 'first');
    await run.progress(50, 'third');
    expect(timeline(await current())).toEqual([
      ['first', 'done'],
      ['second', 'skipped'],
      ['third', 'running'],
    ]);
    await run.progress(60, 'third');
    await run.progress(70);
    const still = await current();
    expect(still).toMatchObject({ progress: 70, step: 'third' });
    expect(timeline(still)).toEqual([
      ['first', 'done'],
      ['second', 'skipped'],
      ['third', 'running'],
    ]);
    run.complete();
    const last = (await pollAction(t.http, t.admin, STEPPED_ACTION)).at(-1)!;
    expect(last.status).toBe('completed');
    expect(timeline(last)).toEqual([
      ['first', 'done'],
      ['second', 'skipped'],
      ['third', 'done'],
    ]);
  });

  it.each([
    ['a step it does not declare', ['first'], 'fourth'],
    ['a step it already passed', ['first', 'second'], 'first'],
  ])('fails the run with invalid_step on %s', async (_case, before, wrong) => {
    for (const step of before) await run.progress(10, step);
    await run.progress(20, wrong);
    const last = (await pollAction(t.http, t.admin, STEPPED_ACTION)).at(-1)!;
    expect(last).toMatchObject({ status: 'failed', error_code: 'invalid_step', step: before.at(-1) });
    expect(last.error_message).toContain(`"${wrong}"`);
    expect(timeline(last).find(([name]) => name === before.at(-1))).toEqual([before.at(-1), 'failed']);
  });
});
