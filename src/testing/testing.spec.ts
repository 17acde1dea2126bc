import { setTimeout as sleep } from 'node:timers/promises';
import { ClusterAction, ClusterActionHandler, DomainError, type ActionContext } from 'cluster-actions';
import { startRun } from 'cluster-actions/testing';

/** Reports 0, 50 and a result, then completes; stops on its signal between the steps. */
@ClusterAction({ name: 'two_steps', timeoutMs: 5000 })
class TwoSteps extends ClusterActionHandler<{ label?: string }> {
  override precheck({ label }: { label?: string }): void {
    if (label === 'refused') throw new DomainError('not_acceptable', 'refused', 'Refused by precheck.');
  }

  async run(_params: { label?: string }, { progress, result, signal }: ActionContext): Promise<void> {
    await progress(0, 'first');
    signal.throwIfAborted();
    await progress(50, 'second');
    signal.throwIfAborted();
    await result({ done: ['first', 'second'] });
  }
}

/** Passes its point of no return at 50%, then finishes whatever happens. */
class Irreversible extends ClusterActionHandler {
  async run(_params: object, { progress, pointOfNoReturn }: ActionContext): Promise<void> {
    await progress(50, 'before');
    await pointOfNoReturn();
    await sleep(20);
    await progress(90, 'after');
  }
}

/** Never returns and ignores its signal. */
class Stuck extends ClusterActionHandler {
  run(): Promise<void> {
    return new Promise(() => undefined);
  }
}

describe('cluster-actions/testing', () => {
  it('records every stored state of a run that completes, with its decorator name and result', async () => {
    const run = await startRun(new TwoSteps(), {});
    const end = await run.ended;
    expect(end).toEqual({
      status: 'completed',
      progress: 100,
      step: 'second',
      cancellable: true,
      result: { done: ['first', 'second'] },
    });
    expect(run.statuses).toEqual(['queued', 'starting', 'running', 'completed']);
    expect(run.states.map((state) => state.step).filter(Boolean)).toEqual([
      'first',
      'second',
      'second',
      'second',
    ]);
  });

  it('rejects as POST would when the precheck refuses', async () => {
    await expect(startRun(new TwoSteps(), { label: 'refused' })).rejects.toMatchObject({ code: 'refused' });
  });

  it.each([
    ['queued', 0],
    ['starting', 1],
    ['at the first step', 3],
    ['at the second step', 4],
  ])('cancels %s: the run ends cancelled and the handler stops there', async (_point, stateIndex) => {
    let seen = 0;
    const run = await startRun(new TwoSteps(), {}, { cancelWhen: () => seen++ === stateIndex });
    const end = await run.ended;
    expect(end.status).toBe('cancelled');
    expect(end.result).toBeUndefined();
    expect(run.statuses.slice(-2)).toEqual(
      stateIndex === 0 ? ['queued', 'cancelled'] : ['cancelling', 'cancelled'],
    );
  });

  it('refuses a cancel past the point of no return: the run completes', async () => {
    const run = await startRun(new Irreversible(), {}, { cancelWhen: (state) => !state.cancellable });
    expect(await run.ended).toMatchObject({ status: 'completed', cancellable: false });
    expect(run.statuses).not.toContain('cancelling');
  });

  it('a cancel before the point of no return makes pointOfNoReturn reject: the run ends cancelled', async () => {
    const run = await startRun(new Irreversible(), {}, { cancelWhen: (state) => state.step === 'before' });
    expect(await run.ended).toMatchObject({ status: 'cancelled', cancellable: true });
  });

  it('times out a handler that never returns, with the given timeout', async () => {
    const run = await startRun(new Stuck(), {}, { timeoutMs: 30 });
    expect(await run.ended).toMatchObject({ status: 'failed', errorCode: 'timeout' });
  });

  it('records a stopping service: aborted after the grace when the handler ignores its signal', async () => {
    const run = await startRun(new Stuck(), {});
    await sleep(5);
    expect(await run.stopService(10)).toMatchObject({ status: 'aborted', errorCode: 'shutdown' });
  });

  it('names an undecorated handler test_action and keeps what its session logged', async () => {
    class Broken extends ClusterActionHandler {
      run(): Promise<void> {
        return Promise.reject(new Error('boom'));
      }
    }
    const run = await startRun(new Broken(), {});
    expect(await run.ended).toMatchObject({
      status: 'failed',
      errorCode: 'internal_error',
      errorMessage: 'boom',
    });
    expect(run.logged).toEqual([{ level: 'error', message: expect.stringContaining('test_action') }]);
  });
});
