import { Logger } from '@nestjs/common';
import type { ActionRun } from './action-run.js';

/** Called with a run as stored, right after a write changed it. */
export type RunChangeListener = (run: ActionRun) => void;

/**
 * The one change seam: every write that changes a run is announced here once it has succeeded (the RunStore
 * publishes; no writer calls a subscriber). Subscribers — metrics, the audit trail, waiting and event streams,
 * cross-replica notification — only ever see stored states. A backend whose store is shared by several
 * processes provides an implementation that also delivers the other processes' changes.
 */
export abstract class RunEvents {
  abstract publish(run: ActionRun): void;
  /** Returns the function that unsubscribes. */
  abstract subscribe(listener: RunChangeListener): () => void;
}

/** Changes of this process only: enough for a store that one process uses (memory, SQLite). */
export class InProcessRunEvents extends RunEvents {
  private readonly logger = new Logger(RunEvents.name);
  private readonly listeners = new Set<RunChangeListener>();

  publish(run: ActionRun): void {
    this.deliver(run);
  }

  subscribe(listener: RunChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Hands a change to this process's subscribers. */
  protected deliver(run: ActionRun): void {
    for (const listener of this.listeners) {
      // A subscriber's fault must not fail the write that has already happened, nor starve the others.
      try {
        listener(run);
      } catch (error) {
        this.logger.error(`A run change subscriber failed on run ${run.actionUid}`, error);
      }
    }
  }
}
