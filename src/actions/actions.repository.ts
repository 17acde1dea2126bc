import type { ActionStatus } from './action-lifecycle.js';
import type { ActionRun, ActionRunPatch } from './action-run.js';

/**
 * Where action runs live. Holds the latest run per action name; starting a run replaces a finished one.
 * Every write is conditional, so the service's rules stay atomic whichever backend is behind this port
 * and however many requests (or replicas) race.
 */
export abstract class ActionsRepository {
  /** The latest run of every action name, ordered by name. */
  abstract list(): Promise<ActionRun[]>;

  abstract findByName(name: string): Promise<ActionRun | undefined>;

  /**
   * Stores `run` as the latest run of its name unless that name's current run is still active
   * (not terminal). Returns the stored run, or `undefined` when an active run was in the way.
   */
  abstract insertUnlessActive(run: ActionRun): Promise<ActionRun | undefined>;

  /**
   * Applies `patch` to the run `actionUid` only while its status is `expected`.
   * Returns the updated run, or `undefined` when the run is gone or its status changed.
   */
  abstract update(
    actionUid: string,
    expected: ActionStatus,
    patch: ActionRunPatch,
  ): Promise<ActionRun | undefined>;

  /**
   * Applies `patch` to every run whose status is `expected` and whose owner abandoned it, in one atomic
   * write, and returns the updated runs. With `leaseExpiredBy`, a run counts as abandoned when it has no
   * lease or its lease ran out by then (a shared store: the owner stopped renewing it). Without it, every
   * such run does: for a caller that knows no other process can be executing runs from this store.
   */
  abstract updateAbandoned(
    expected: ActionStatus,
    patch: ActionRunPatch,
    leaseExpiredBy?: string,
  ): Promise<ActionRun[]>;

  /** Removes the run `actionUid` only while its status is `expected`. Returns whether it did. */
  abstract remove(actionUid: string, expected: ActionStatus): Promise<boolean>;
}
