/** What a handler gets while it runs. */
export interface ActionContext {
  readonly actionUid: string;
  /**
   * Aborted when the run is cancelled, times out, or the service stops. A handler must stop at its next safe
   * point. After `pointOfNoReturn()` a cancel no longer aborts it (a timeout or a stop still do).
   */
  readonly signal: AbortSignal;
  /**
   * Records progress: a finite number from 0 to 100, optionally naming the current step. A value below the
   * last one is kept at the last one (progress never decreases); anything else ends the run `failed` with
   * `invalid_progress`. Resolves once the progress is stored.
   * For an action type that declares its steps, naming a step moves the run's timeline: the running step is
   * done, the steps between it and the new one are skipped, the new one runs. Steps only move forward: a step
   * that is not declared, or that the run already passed, ends the run `failed` with `invalid_step`.
   * Naming the running step again, or no step, leaves the timeline and the current step as they are.
   */
  readonly progress: (percent: number, step?: string) => Promise<void>;
  /**
   * Declares that the run can no longer be cancelled (e.g. the master has moved): resolves once that is stored,
   * after which DELETE answers 409 `action_not_cancellable` and the run never ends `cancelled`. Rejects with an
   * AbortError if a cancel was recorded first or the signal is already aborted: the handler must then stop and
   * leave things as they were, so that "cancelled" and the irreversible change can never both happen.
   * Past this point a timeout still aborts the signal, but the run ends `failed` (`timeout`) only if the handler
   * then gives up (rejects); a handler that finishes its work completes the run.
   */
  readonly pointOfNoReturn: () => Promise<void>;
  /**
   * Records the run's outcome so far as a JSON object (e.g. one entry per node), shown as `result` on the run in
   * every route and kept in its history. Each call replaces the previous result; it is kept whatever the run's end,
   * so report as you go. Anything but a JSON object of at most 64 KB ends the run `failed` with `invalid_result`.
   * Resolves once the result is stored.
   */
  readonly result: (value: Readonly<Record<string, unknown>>) => Promise<void>;
}

/**
 * The base class of every action type. Extend it, decorate the class with `@ClusterAction(...)`, and list it in
 * your module's providers: the ActionsModule finds it at start-up.
 */
export abstract class ClusterActionHandler<Params extends object = object> {
  /**
   * The run's timeout when it comes from configuration rather than the decorator (read once at start-up;
   * overrides `@ClusterAction({ timeoutMs })`).
   */
  readonly timeoutMs?: number;

  /**
   * The run's steps when they are only known at start-up, e.g. from an adapter (overrides
   * `@ClusterAction({ steps })`).
   */
  readonly steps?: readonly string[];

  /**
   * Checks the request before the run is created, so that a client gets a 4xx from POST instead of a failed
   * run. Throw a `DomainError` (e.g. not found, not acceptable) to refuse. The default accepts everything.
   */
  precheck(_params: Params): Promise<void> | void {}

  /**
   * Checks the conditions a client sets on the current state, e.g. change_master's `expected_master_uid`. Throw
   * a `PreconditionFailedError` (409 `precondition_failed`) when one does not hold. Called after `precheck`
   * before the run is created (POST answers the error, a dry run lists it as a blocker), and again when the run
   * begins executing, just before `run` (the run then ends `failed` with the error's code): the state may have
   * changed while the run waited, and a run must not act on a stale view. The default sets none.
   */
  preconditions(_params: Params): Promise<void> | void {}

  /**
   * Does the work. Resolving completes the run; throwing fails it (`error_code` from a `DomainError`,
   * `internal_error` otherwise). Honour `context.signal`: once it is aborted the run ends `cancelled` (or `failed`
   * with `timeout`) whatever this returns, and side effects after that point are the handler's bug; the only
   * exception is a run past `context.pointOfNoReturn()` (see there).
   */
  abstract run(params: Params, context: ActionContext): Promise<void>;
}
