import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { isTerminal } from './action-lifecycle.js';
import type { ActionRun } from './action-run.js';
import { ActionsService } from './actions.service.js';
import { InvalidRequestError } from '../errors/domain-error.js';
import { RunEvents } from './run-events.js';

/** The longest `?wait=` in seconds. */
export const MAX_WAIT_SECONDS = 60;

/** Seconds, 0 to 60, with up to three decimals (milliseconds): `5`, `0.25`. */
const WAIT_SECONDS = /^\d{1,2}(\.\d{1,3})?$/;

/** Parses the `wait` query parameter into milliseconds; `undefined` when it is absent. */
export function parseWait(raw: unknown): number | undefined {
  if (raw === undefined) return undefined;
  const seconds = typeof raw === 'string' && WAIT_SECONDS.test(raw) ? Number(raw) : NaN;
  if (!(seconds <= MAX_WAIT_SECONDS)) {
    throw new InvalidRequestError(
      `wait must be a number of seconds from 0 to ${MAX_WAIT_SECONDS} (up to three decimals).`,
    );
  }
  return Math.round(seconds * 1000);
}

/**
 * Long-polls the latest run of an action until it is terminal. It waits on RunEvents (which on PostgreSQL also
 * carries the other replicas' changes), so it holds no database connection meanwhile: one read before, one
 * after the change that ends the wait (or at the timeout).
 */
@Injectable()
export class RunWaiter implements BeforeApplicationShutdown {
  /** Ends each wait in progress early (a graceful stop answers them with the current state). */
  private readonly waits = new Set<() => void>();

  constructor(
    private readonly actions: ActionsService,
    private readonly events: RunEvents,
  ) {}

  /**
   * The latest run of `name` once it is terminal, or as it is after `waitMs`. A change that hides or replaces
   * the run it waited on ends the wait too: the answer is then what is there (ActionNotFoundError when nothing).
   * `signal` (the client went away) ends the wait without a read; the promise then resolves `undefined`.
   */
  async wait(name: string, waitMs: number, signal: AbortSignal): Promise<ActionRun | undefined> {
    if (waitMs === 0) return this.actions.get(name);
    let current: ActionRun | undefined;
    /** A change that may end the wait arrived since the last read. */
    let changed = false;
    let wake = (): void => undefined;
    let timedOut = false;
    // Subscribed before the first read, so that a change landing during a read is not missed. Progress of the
    // run waited on needs no read; any change of another run of that name (or during a read) does.
    const unsubscribe = this.events.subscribe((run) => {
      if (run.name !== name) return;
      if (current && run.actionUid === current.actionUid && !isTerminal(run.status) && !run.hidden) return;
      changed = true;
      wake();
    });
    const stop = (): void => {
      timedOut = true;
      wake();
    };
    const timer = setTimeout(stop, waitMs);
    signal.addEventListener('abort', stop);
    this.waits.add(stop);
    try {
      current = await this.actions.get(name);
      // At the timeout, one more read: progress of the run waited on was not followed.
      while (!isTerminal(current.status) && !timedOut) {
        if (!changed) await new Promise<void>((resolve) => (wake = resolve));
        if (signal.aborted) return undefined;
        changed = false;
        const latest: ActionRun = await this.actions.get(name);
        if (latest.actionUid !== current.actionUid) return latest; // replaced
        current = latest;
      }
      return current;
    } finally {
      unsubscribe();
      clearTimeout(timer);
      signal.removeEventListener('abort', stop);
      this.waits.delete(stop);
    }
  }

  /** Nest closes the HTTP server after this, and that waits for open requests: answer them now. */
  beforeApplicationShutdown(): void {
    for (const stop of this.waits) stop();
  }
}
