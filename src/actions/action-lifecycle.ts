/**
 * The action lifecycle: the one table every status write is checked against.
 *
 *   queued -> starting -> running -> completed
 *   queued -> cancelled                running -> failed
 *   starting|running -> cancelling -> cancelled
 *   queued|starting|running -> aborted   (the run was lost: its process died or its lease expired)
 *
 * `queued -> aborted` is ours: a queued run whose process died is as lost as a running one.
 */
export const ACTION_STATUSES = [
  'queued',
  'starting',
  'running',
  'cancelling',
  'cancelled',
  'completed',
  'failed',
  'aborted',
] as const;

export type ActionStatus = (typeof ACTION_STATUSES)[number];

export const TRANSITIONS: { readonly [From in ActionStatus]: readonly ActionStatus[] } = {
  queued: ['starting', 'cancelled', 'aborted'],
  starting: ['running', 'cancelling', 'aborted'],
  running: ['completed', 'failed', 'cancelling', 'aborted'],
  cancelling: ['cancelled'],
  cancelled: [],
  completed: [],
  failed: [],
  aborted: [],
};

export const TERMINAL_STATUSES: readonly ActionStatus[] = ACTION_STATUSES.filter(
  (status) => TRANSITIONS[status].length === 0,
);

export function isTerminal(status: ActionStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

export function canTransition(from: ActionStatus, to: ActionStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** An illegal transition is a bug in this service, never a client error: it fails loudly. */
export class IllegalTransitionError extends Error {
  constructor(
    readonly from: ActionStatus,
    readonly to: ActionStatus,
  ) {
    super(`Illegal action status transition ${from} -> ${to}`);
    this.name = 'IllegalTransitionError';
  }
}

export function assertTransition(from: ActionStatus, to: ActionStatus): void {
  if (!canTransition(from, to)) throw new IllegalTransitionError(from, to);
}
