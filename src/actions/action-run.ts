import type { ActionStatus } from './action-lifecycle.js';
import { closeTimeline, type RunStep } from './step-timeline.js';

/** One run of an action type, as stored. The store keeps every run; the status routes show the latest per name. */
export interface ActionRun {
  readonly actionUid: string;
  readonly name: string;
  readonly status: ActionStatus;
  /** 0-100; never decreases within a run; exactly 100 when completed. */
  readonly progress: number;
  /** The step the handler last reported, if any. */
  readonly step?: string;
  /**
   * The steps the action type declares, in order, and how far each got (empty when it declares none; absent
   * in runs stored before steps were kept).
   */
  readonly steps?: readonly RunStep[];
  /** The validated parameters, as the client sent them. */
  readonly params: Readonly<Record<string, unknown>>;
  readonly errorCode?: string;
  readonly errorMessage?: string;
  readonly creationTime: string;
  readonly startTime?: string;
  readonly endTime?: string;
  /** The email of the user who started the run. */
  readonly startedBy?: string;
  /** The email of the user who cancelled the run. */
  readonly cancelledBy?: string;
  /** The process that executes the run (internal: never on the wire). Kept after the run ends. */
  readonly ownerId?: string;
  /**
   * Until when the owner holds the run; it renews this while the run executes. A lease that ran out means
   * the owner is gone, so the run can be recovered as lost (internal: never on the wire).
   */
  readonly leaseExpiresAt?: string;
  /**
   * The uid of the cluster node that executes (executed) the run: set when the primary claims it in
   * CLUSTER_NODES=replicas, absent in the other modes (the replica that accepted the POST executes it).
   */
  readonly executorNode?: number;
  /**
   * `false` once the handler declared its point of no return (`context.pointOfNoReturn()`): from then on a
   * cancel is refused and the run ends `completed` or `failed`, never `cancelled`. Absent until then, and kept
   * after the run ends, so a finished run shows whether it got past that point.
   */
  readonly cancellable?: false;
  /**
   * What the handler reported as its outcome (`context.result(...)`): a JSON object, replaced by each report and
   * kept after the run ends, whatever its end.
   */
  readonly result?: Readonly<Record<string, unknown>>;
  /** Set once DELETE hid this finished run's status: the status routes no longer show it (the row is kept). */
  readonly hidden?: boolean;
}

/** The fields a write may change. */
export type ActionRunPatch = Partial<
  Pick<
    ActionRun,
    | 'status'
    | 'progress'
    | 'step'
    | 'steps'
    | 'errorCode'
    | 'errorMessage'
    | 'startTime'
    | 'endTime'
    | 'cancelledBy'
    | 'leaseExpiresAt'
    | 'cancellable'
    | 'result'
  >
>;

/**
 * What a cancel writes to `run`: a queued run never started, so it is cancelled at once; a starting or running
 * one is cancelling until its handler stops. Nothing for a run that is already cancelling or finished, or that
 * passed its point of no return.
 */
export function cancelPatch(
  { status, cancellable, steps }: ActionRun,
  cancelledBy: string,
): ActionRunPatch | undefined {
  if (cancellable === false) return undefined;
  if (status === 'queued') {
    const endTime = new Date().toISOString();
    return withSteps(
      { status: 'cancelled', cancelledBy, endTime },
      closeTimeline(steps, 'cancelled', endTime),
    );
  }
  if (status === 'starting' || status === 'running') return { status: 'cancelling', cancelledBy };
  return undefined;
}

/** `patch`, also writing `steps` when there are new ones. */
export function withSteps(patch: ActionRunPatch, steps: readonly RunStep[] | undefined): ActionRunPatch {
  return steps ? { ...patch, steps } : patch;
}
