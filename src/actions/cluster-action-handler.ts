/** What a handler gets while it runs. */
export interface ActionContext {
  readonly actionUid: string;
  /** Aborted when the run is cancelled or times out. A handler must stop at its next safe point. */
  readonly signal: AbortSignal;
  /**
   * Records progress: a finite number from 0 to 100, optionally naming the current step. A value below the
   * last one is kept at the last one (progress never decreases); anything else ends the run `failed` with
   * `invalid_progress`. Resolves once the progress is stored.
   */
  readonly progress: (percent: number, step?: string) => Promise<void>;
}

/**
 * The base class of every action type. Extend it, decorate the class with `@ClusterAction(...)`, and list it in
 * your module's providers: the ActionsModule finds it at start-up.
 */
export abstract class ClusterActionHandler<Params extends object = object> {
  /**
   * Checks the request before the run is created, so that a client gets a 4xx from POST instead of a failed
   * run. Throw a `DomainError` (e.g. not found, not acceptable) to refuse. The default accepts everything.
   */
  precheck(_params: Params): Promise<void> | void {}

  /**
   * Does the work. Resolving completes the run; throwing fails it (`error_code` from a `DomainError`,
   * `internal_error` otherwise). Honour `context.signal`: once it is aborted the run ends `cancelled` (or `failed`
   * with `timeout`) whatever this returns, and side effects after that point are the handler's bug.
   */
  abstract run(params: Params, context: ActionContext): Promise<void>;
}
