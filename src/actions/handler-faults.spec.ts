import { ClusterActionHandler, type ActionContext } from 'cluster-actions';
import { startRun } from 'cluster-actions/testing';

/** Handlers that misbehave, run through the test kit: every case ends in a defined terminal state. */
class Throws extends ClusterActionHandler {
  constructor(private readonly thrown: unknown) {
    super();
  }

  run(): Promise<void> {
    // Handlers in the wild reject with anything, not only Errors.
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    return Promise.reject(this.thrown);
  }
}

class Reports extends ClusterActionHandler {
  signal?: AbortSignal;

  constructor(private readonly values: readonly number[]) {
    super();
  }

  async run(_params: object, { progress, signal }: ActionContext): Promise<void> {
    this.signal = signal;
    for (const value of this.values) await progress(value);
  }
}

/** Never returns: ignores its signal. */
class IgnoresSignal extends ClusterActionHandler {
  signal?: AbortSignal;

  run(_params: object, { signal }: ActionContext): Promise<void> {
    this.signal = signal;
    return new Promise(() => undefined);
  }
}

describe('faults in handlers', () => {
  it.each([
    ['a string', 'just a string', 'Handler threw a non-Error value: just a string'],
    ['undefined', undefined, 'Handler threw a non-Error value: undefined'],
    ['an object', { reason: 'x' }, 'Handler threw a non-Error value: [object Object]'],
    ['an Error without a message', new Error(''), 'Handler failed.'],
  ])('a handler throwing %s ends failed with internal_error', async (_case, thrown, message) => {
    const run = await startRun(new Throws(thrown), {});
    expect(await run.ended).toMatchObject({
      status: 'failed',
      errorCode: 'internal_error',
      errorMessage: message,
    });
  });

  it('cuts a very long error message', async () => {
    const run = await startRun(new Throws(new Error('x'.repeat(10_000))), {});
    expect((await run.ended).errorMessage).toHaveLength(500);
  });

  it.each([
    ['above 100', 101],
    ['below 0', -1],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a string', '50' as unknown as number],
  ])('progress %s ends the run failed with invalid_progress and aborts the handler', async (_case, value) => {
    const handler = new Reports([20, value]);
    const run = await startRun(handler, {});
    expect(await run.ended).toMatchObject({ status: 'failed', errorCode: 'invalid_progress', progress: 20 });
    expect(handler.signal?.aborted).toBe(true);
  });

  it('progress below a previous value is kept at the previous value', async () => {
    const run = await startRun(new Reports([10, 50, 30, 0, 70, 69]), {});
    await run.ended;
    expect(run.states.map((state) => state.progress)).toEqual([0, 0, 0, 10, 50, 50, 50, 70, 70, 100]);
  });

  it('a handler that never returns ends failed with timeout, its signal aborted', async () => {
    const handler = new IgnoresSignal();
    const run = await startRun(handler, {}, { timeoutMs: 50 });
    const end = await run.ended;
    expect(end).toMatchObject({ status: 'failed', errorCode: 'timeout' });
    expect(end.errorMessage).toContain('50 ms');
    expect(handler.signal?.aborted).toBe(true);
  });

  it('a handler that ignores a cancel ends cancelled at its timeout', async () => {
    const run = await startRun(
      new IgnoresSignal(),
      {},
      { timeoutMs: 50, cancelWhen: (state) => state.status === 'running' },
    );
    expect(await run.ended).toMatchObject({ status: 'cancelled' });
    expect(run.statuses).toEqual(['queued', 'starting', 'running', 'cancelling', 'cancelled']);
  });
});
