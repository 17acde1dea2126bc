import type { ActionStatus } from './action-lifecycle.js';
import type { ActionRun, ActionRunPatch } from './action-run.js';
import type { LeaderFence } from './coordination.js';

/**
 * A write made by a run's executor: it lands only while `ownerId` still owns the run and its lease has not run
 * out by `now`, checked in the same atomic write. So an executor that lost its lease can no longer change the run.
 */
export interface RunFence {
  readonly ownerId: string;
  readonly now: string;
  /** A coordinator write (the new primary completing a change_master): also fenced by the leader lease. */
  readonly leader?: LeaderFence;
}

/** The primary taking the `queued` runs nobody holds (CLUSTER_NODES=replicas). */
export interface RunClaim {
  readonly ownerId: string;
  readonly executorNode: number;
  readonly leaseExpiresAt: string;
  /** A run whose lease ran out by then is held by nobody (its claimant died before starting it). */
  readonly now: string;
  /** Only runs of these action types: the ones this process can execute (replicas of two releases). */
  readonly names: readonly string[];
}

/** Which runs of one name a history page holds: every filter is optional, `limit` is not. */
export interface HistoryQuery {
  readonly status?: ActionStatus;
  readonly startedBy?: string;
  /** ISO 8601 UTC (as `toISOString` writes it): runs created at or after it. */
  readonly since?: string;
  /** ISO 8601 UTC: runs created before it. */
  readonly until?: string;
  /** Only runs stored before this sequence number: where the previous page ended. */
  readonly beforeSeq?: number;
  readonly limit: number;
}

/** A page of runs, newest first, and the sequence number to continue from when more match. */
export interface HistoryPage {
  readonly runs: ActionRun[];
  readonly nextSeq?: number;
}

/** What a retention sweep removes: finished runs beyond `maxRuns` per name or created before `createdBefore`. */
export interface RetentionLimits {
  readonly maxRuns: number;
  readonly createdBefore: string;
  /** At most this many runs per call, so that a large backlog is deleted in short steps. */
  readonly batch: number;
}

/** An Idempotency-Key as a start stores it: per user, with a hash of the request it was first used for. */
export interface IdempotencyKey {
  /** The user who sent it (keys of different users are independent). */
  readonly owner: string;
  readonly key: string;
  /** The canonical hash of the action name and its validated parameters. */
  readonly requestHash: string;
  /** ISO 8601 UTC: from then on the key is forgotten and may start a new run. */
  readonly expiresAt: string;
}

/** A key still kept: the request it was first used for and the run it started. */
export interface KeptIdempotencyKey {
  readonly requestHash: string;
  /** `undefined` once history retention deleted the run. */
  readonly run?: ActionRun;
}

/** What `insertWithKey` did: stored the run with its key, found the key kept, or found an active run in the way. */
export type KeyedInsert =
  | { readonly outcome: 'inserted'; readonly run: ActionRun }
  | { readonly outcome: 'kept'; readonly kept: KeptIdempotencyKey }
  | { readonly outcome: 'active' };

/**
 * Where action runs live, keyed by `action_uid`: every run is kept (history), and the latest run of a name is
 * the one inserted last. At most one run per name is active; the store itself enforces it (a unique index in
 * the SQL backends), so the rule holds however many requests or replicas race. Every write is conditional.
 */
export abstract class ActionsRepository {
  /**
   * Whether other processes may execute runs from this store at the same time (replicas on one database).
   * When not, every active run found at start-up was left by a process that died.
   */
  abstract readonly shared: boolean;

  /** The latest run of every action name, unless that run is hidden; ordered by name (binary order). */
  abstract listLatest(): Promise<ActionRun[]>;

  /** The latest run of `name`; `undefined` when there is none or it is hidden (an older run stays out of sight). */
  abstract findLatest(name: string): Promise<ActionRun | undefined>;

  /** The run `actionUid`, hidden or not. */
  abstract findByUid(actionUid: string): Promise<ActionRun | undefined>;

  /**
   * Stores `run` as the latest run of its name unless a run of that name is active (not terminal).
   * Returns the stored run, or `undefined` when an active run was in the way.
   */
  abstract insertUnlessActive(run: ActionRun): Promise<ActionRun | undefined>;

  /**
   * The key `key` of `owner` unless it expired by `now` (ISO 8601 UTC), with the run it started.
   */
  abstract findKey(owner: string, key: string, now: string): Promise<KeptIdempotencyKey | undefined>;

  /**
   * `insertUnlessActive` for a start with an Idempotency-Key, in one atomic step: stores `run` and `key`
   * together unless the key is kept (not expired by `now`: then nothing is written and the kept key is
   * returned) or a run of the name is active (then neither is written). An expired key of the same owner and
   * key is replaced. However many calls race with one key, one run is stored and the others get the key kept.
   */
  abstract insertWithKey(run: ActionRun, key: IdempotencyKey, now: string): Promise<KeyedInsert>;

  /** Deletes the keys expired by `now` (ISO 8601 UTC) and returns how many. */
  abstract purgeKeys(now: string): Promise<number>;

  /**
   * Applies `patch` to the run `actionUid` only while its status is `expected` and, with `fence`, only while the
   * fence's owner holds an unexpired lease on it. A patch that records a cancel (`cancelledBy`) applies only while
   * the run is cancellable, so a cancel and a handler's point of no return never both land. Returns the updated
   * run, or `undefined` when a condition failed.
   */
  abstract update(
    actionUid: string,
    expected: ActionStatus,
    patch: ActionRunPatch,
    fence?: RunFence,
  ): Promise<ActionRun | undefined>;

  /**
   * Applies `patch` to every run whose status is `expected` and whose owner abandoned it, in one atomic
   * write, and returns the updated runs. With `leaseExpiredBy`, a run counts as abandoned when it has no
   * lease or its lease ran out by then (a shared store: the owner stopped renewing it). Without it, every
   * such run does: for a caller that knows no other process can be executing runs from this store.
   * With `leader`, the write lands only while that leader lease holds (a store used by one process has none).
   * The same atomic write closes each run's step timeline by its end (`closedTimeline`), so that no reader sees
   * a finished run with a step still running.
   */
  abstract updateAbandoned(
    expected: ActionStatus,
    patch: ActionRunPatch,
    leaseExpiredBy?: string,
    leader?: LeaderFence,
  ): Promise<ActionRun[]>;

  /**
   * Makes `claim.ownerId` the owner of every `queued` run that nobody holds, in one atomic write fenced by
   * `leader` (see `updateAbandoned`), and returns the claimed runs, oldest first.
   */
  abstract claimQueued(claim: RunClaim, leader?: LeaderFence): Promise<ActionRun[]>;

  /**
   * Hides the run `actionUid` from the latest-run reads (the row is kept) only while its status is `expected`
   * and it is not hidden yet. Returns whether it did.
   */
  abstract hide(actionUid: string, expected: ActionStatus): Promise<boolean>;

  /**
   * The runs of `name` that match `query`, hidden ones included, newest (highest sequence) first: at most
   * `query.limit`, with `nextSeq` set when more match beyond them. One indexed read over (name, seq).
   */
  abstract history(name: string, query: HistoryQuery): Promise<HistoryPage>;

  /**
   * Deletes finished runs that `limits` no longer keep (at most `limits.batch`), in one atomic write, and returns
   * how many: fewer than the batch means none is left. Never the
   * latest run of a name (the status routes show it) nor an active run. Safe to call from several replicas at
   * once: a call that finds another one sweeping does nothing. With `leader`, fenced as `updateAbandoned`.
   */
  abstract prune(limits: RetentionLimits, leader?: LeaderFence): Promise<number>;
}
