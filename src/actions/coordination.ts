import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * The primary's proof of its role, written into every coordinator statement (claiming runs, sweeps, completing
 * a change_master): the statement lands only while the leader lease still names this node with this epoch and
 * has not run out, so a former primary that was paused or cut off can no longer write as one.
 */
export interface LeaderFence {
  readonly nodeUid: number;
  readonly epoch: number;
}

/** This process's turn as the coordinator: with a leader fence when a primary is elected, without when not. */
export interface CoordinatorTurn {
  readonly leader?: LeaderFence;
}

/** What the coordinator is told at each beat: its fence and, on a new turn, the run that handed it the role. */
export interface Leadership extends Required<CoordinatorTurn> {
  /**
   * The change_master run that handed this node the role (its owner is now this process): the new primary
   * records `step` (it coordinates) and then the run `completed`, fenced by its lease.
   */
  readonly handedOver?: { readonly actionUid: string; readonly step: string };
}

/**
 * Who does the cluster-wide work: executing runs and the sweeps (lease recovery, history retention).
 * By default every process does its share (a run executes where it was accepted; sweeps are safe to repeat).
 * With CLUSTER_NODES=replicas only the elected primary does (src/cluster/replicas/).
 */
export abstract class Coordination {
  /** This process as the owner of the runs it executes: host and pid for people, a random part as pids are reused. */
  readonly ownerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

  /** Whether runs are executed by the primary alone: a POST only stores the run `queued` for it to claim. */
  abstract readonly primaryExecutes: boolean;

  /** This process's coordinator turn right now; `undefined` while it is not the coordinator (not the primary). */
  abstract turn(): CoordinatorTurn | undefined;

  /**
   * Calls `listener` when this process becomes the primary and on every renewal of its lease while it stays
   * one (a listener must tolerate repeats: it claims what is left over, e.g. after a missed notification).
   */
  abstract whileCoordinating(listener: (leadership: Leadership) => Promise<void>): void;
}

/** Every process coordinates its own work, unfenced: one process on its own store, or replicas without a primary. */
export class EveryProcessCoordinates extends Coordination {
  readonly primaryExecutes = false;

  turn(): CoordinatorTurn {
    return {};
  }

  whileCoordinating(): void {}
}
