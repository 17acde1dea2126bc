import type { ActionStatus } from './action-lifecycle.js';

export const STEP_STATUSES = ['pending', 'running', 'done', 'skipped', 'failed', 'cancelled'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

/** One declared step of a run and how far it got. */
export interface RunStep {
  readonly name: string;
  readonly status: StepStatus;
  readonly startTime?: string;
  readonly endTime?: string;
}

/** A new run's timeline: every declared step pending. */
export function pendingTimeline(names: readonly string[]): RunStep[] {
  return names.map((name) => ({ name, status: 'pending' }));
}

/**
 * The timeline once the handler reports step `name` at `at`: the running step is done, the pending steps before
 * `name` are skipped, and `name` runs. The same array when `name` already runs; `undefined` when `name` is not
 * a step the run can still enter (not declared, or already passed: steps only move forward).
 */
export function enterStep(
  steps: readonly RunStep[],
  name: string,
  at: string,
): readonly RunStep[] | undefined {
  const index = steps.findIndex((step) => step.name === name);
  if (index === -1) return undefined;
  if (steps[index].status === 'running') return steps;
  if (steps[index].status !== 'pending') return undefined;
  return steps.map((step, i): RunStep => {
    if (i === index) return { name, status: 'running', startTime: at };
    if (i > index) return step;
    if (step.status === 'running') return { ...step, status: 'done', endTime: at };
    return step.status === 'pending' ? { name: step.name, status: 'skipped' } : step;
  });
}

/**
 * The timeline of a run that ended `status` at `at`: the running step is done (completed), cancelled
 * (cancelled) or failed (failed, aborted); the steps never entered are skipped. `undefined` when no step is open.
 */
export function closeTimeline(
  steps: readonly RunStep[] | undefined,
  status: ActionStatus,
  at: string,
): RunStep[] | undefined {
  if (!steps?.some((step) => step.status === 'pending' || step.status === 'running')) return undefined;
  const ended: StepStatus = status === 'completed' ? 'done' : status === 'cancelled' ? 'cancelled' : 'failed';
  return steps.map((step): RunStep => {
    if (step.status === 'running') return { ...step, status: ended, endTime: at };
    return step.status === 'pending' ? { name: step.name, status: 'skipped' } : step;
  });
}
