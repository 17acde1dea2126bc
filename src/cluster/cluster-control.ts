import type { ClusterNode } from './node.js';

/** What an adapter gets while it switches the master (the action run's context). */
export interface ChangeMasterContext {
  /** The change_master run (an adapter that hands the run to another process names it). */
  readonly actionUid: string;
  /** Aborted when the run is cancelled, times out, or the service stops: stop at the next safe point. */
  readonly signal: AbortSignal;
  /** Records progress (0-100) and the current step, one of `changeMasterSteps`. */
  readonly progress: (percent: number, step: string) => Promise<void>;
  /**
   * Declares that the master has moved (or is about to, irrevocably): from then on the run can no longer be
   * cancelled. Rejects with an AbortError if a cancel was recorded first: the adapter must then leave the old
   * master in place (or put it back), so that a `cancelled` run never has a moved master.
   */
  readonly pointOfNoReturn: () => Promise<void>;
}

/** A node's data written to disk by `ClusterControl.persistNode`. */
export interface NodePersisted {
  readonly uid: number;
  readonly addr: string;
  /** When the node's last save completed (ISO 8601; Redis LASTSAVE has whole seconds). */
  readonly savedAt: string;
}

/**
 * The seam where a deployment plugs in its cluster. The adapter owns the switchover: its steps, its progress,
 * its cancellation and its preconditions. The adapter is chosen in one factory (ClusterModule) from
 * CLUSTER_NODES: `local/` simulates a topology, `redis/` manages a live Redis replication group, `replicas/`
 * makes the service's own replicas the nodes.
 */
export abstract class ClusterControl {
  /** The steps `changeMaster` reports, in order: the timeline of a change_master run. */
  abstract readonly changeMasterSteps: readonly string[];
  /**
   * The uid of the master as the cluster has it now (not the last observation: a precondition must not pass on
   * a stale view); `undefined` when not exactly one node is master.
   */
  abstract masterUid(): Promise<number | undefined>;
  /** Every node, ordered by uid, as last observed: never waits for a slow or down node. */
  abstract listNodes(): Promise<ClusterNode[]>;
  /** One node as last observed; `undefined` if `uid` is not a node. */
  abstract getNode(uid: number): Promise<ClusterNode | undefined>;
  /**
   * Refuses a change_master to `uid` that cannot start, before any run is created: `NodeNotFoundError` (404),
   * `NodeNotActiveError` (406: down, syncing, or not a replica of the master), `TopologyNotHealthyError` (409:
   * not one master with its replicas). A target that already is master passes (the run is a no-op).
   */
  abstract checkChangeMaster(uid: number): Promise<void>;
  /**
   * Makes `uid` the master, reporting each step. Resolves once the switch is done and verified, at once if
   * `uid` already is master. Rejects with an AbortError when it stopped on the signal with nothing changed,
   * and with a `DomainError` naming what failed otherwise.
   */
  abstract changeMaster(uid: number, context: ChangeMasterContext): Promise<void>;
  /**
   * Asks node `uid` to persist its data and resolves once a save that started after the call has completed.
   * Rejects with `NodeNotFoundError` or `NodeNotActiveError` (down), an AbortError on the signal, and a
   * `DomainError` naming what failed otherwise.
   */
  abstract persistNode(uid: number, signal: AbortSignal): Promise<NodePersisted>;
}
