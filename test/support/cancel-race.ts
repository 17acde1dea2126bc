import type { Response } from 'supertest';
import type { ActionStatus } from '../../src/actions/action-lifecycle.js';
import type { FlakyActionsRepository } from './flaky-actions.repository.js';
import type { GatedRun } from './test-action.js';

/** Which of the two writes reaches the store first. */
export type RaceOrder = 'result first' | 'cancel first';

export interface CancelRace {
  readonly store: FlakyActionsRepository;
  /** A run whose handler ignores its signal, so that only `settle` ends it. */
  readonly run: GatedRun;
  /** Ends the handler (complete or fail); its write moves the run to `resultStatus`. */
  readonly settle: () => void;
  readonly resultStatus: ActionStatus;
  /** Sends the DELETE. */
  readonly cancel: () => PromiseLike<Response>;
}

const aborted = (signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));

/** Lets every pending promise continuation run (the handler's result reaching its session is microtasks only). */
export const drainMicrotasks = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Makes a DELETE and the handler's own result meet on one run in the order given: the first one's write is held
 * in the store until the second has reached the run's session, so the second decides while the first is in flight
 * (and the DELETE has read the run as still `running`). Returns the DELETE's answer.
 */
export async function raceCancelWithResult(race: CancelRace, order: RaceOrder): Promise<Response> {
  if (order === 'result first') {
    const hold = race.store.holdWritesTo(race.resultStatus);
    race.settle();
    await hold.reached;
    const signalled = aborted(race.run.context.signal);
    const deleting = Promise.resolve(race.cancel());
    // The session aborts the signal when it takes the cancel, queued behind the held result.
    await signalled;
    hold.release();
    return deleting;
  }
  const hold = race.store.holdWritesTo('cancelling');
  const deleting = Promise.resolve(race.cancel());
  await hold.reached;
  race.settle();
  await drainMicrotasks();
  hold.release();
  return deleting;
}
