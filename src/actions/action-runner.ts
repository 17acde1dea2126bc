import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { assertTransition, isTerminal, type ActionStatus } from './action-lifecycle.js';
import type { RegisteredAction } from './action-registry.js';
import type { ActionRun, ActionRunPatch } from './action-run.js';
import { ActionsRepository } from './actions.repository.js';
import type { ActionContext } from './cluster-action-handler.js';
import { DomainError } from '../errors/domain-error.js';

/** Why a run stopped early; it decides the terminal state when the run is `running`. */
interface Failure {
  readonly code: string;
  readonly message: string;
}

const MAX_ERROR_MESSAGE = 500;

/** What a handler's rejection means for the run: a DomainError keeps its code, anything else is internal. */
function failureOf(error: unknown): Failure {
  if (error instanceof DomainError) return { code: error.code, message: error.description };
  const message =
    error instanceof Error ? error.message : `Handler threw a non-Error value: ${String(error)}`;
  return { code: 'internal_error', message: message.slice(0, MAX_ERROR_MESSAGE) || 'Handler failed.' };
}

const now = (): string => new Date().toISOString();

/**
 * One run executing in this process. Every write to the run goes through `write`, which queues it behind the
 * previous one and decides the new state from the run as it is at that moment. So a cancel, a progress report,
 * a timeout and the handler's own result can race in any order and the run still takes exactly one legal path
 * to exactly one terminal state:
 * - cancel wins over a result that is recorded after it (the run ends `cancelled`);
 * - a timeout or an invalid progress report ends a running run `failed` at once, without waiting for the handler;
 * - whatever the handler does after its run reached a terminal state is ignored.
 */
class RunSession {
  private readonly controller = new AbortController();
  private queue: Promise<unknown> = Promise.resolve();
  private timer?: NodeJS.Timeout;
  private progressFloor = 0;
  /** Set when the session stopped the run itself; it outranks whatever the handler does afterwards. */
  private stopped?: Failure;

  constructor(
    private current: ActionRun,
    private readonly action: RegisteredAction,
    private readonly params: object,
    private readonly repository: ActionsRepository,
    private readonly logger: Logger,
  ) {}

  get run(): ActionRun {
    return this.current;
  }

  async execute(): Promise<void> {
    this.timer = setTimeout(
      () =>
        void this.stop({ code: 'timeout', message: `The run took longer than ${this.action.timeoutMs} ms.` }),
      this.action.timeoutMs,
    );
    await this.write((run) => (run.status === 'queued' ? { status: 'starting' } : undefined));
    await this.write((run) =>
      run.status === 'starting' ? { status: 'running', startTime: now() } : undefined,
    );
    let failure: Failure | undefined;
    if (this.current.status === 'running' && !this.controller.signal.aborted) {
      try {
        await this.action.handler.run(this.params, this.context());
      } catch (error) {
        failure = failureOf(error);
        if (!(error instanceof DomainError)) {
          this.logger.error(`Action ${this.action.name} (${this.current.actionUid}) failed`, error);
        }
      }
    }
    clearTimeout(this.timer);
    await this.finish(this.stopped ?? failure);
  }

  /** DELETE on a live run: queued -> cancelled, starting/running -> cancelling. */
  cancel(): Promise<ActionRun> {
    const written = this.write((run) => {
      if (run.status === 'queued') return { status: 'cancelled', endTime: now() };
      if (run.status === 'starting' || run.status === 'running') return { status: 'cancelling' };
      return undefined;
    });
    // The cancel is queued before the signal fires, so any result the handler produces in reaction comes after it.
    this.controller.abort(new DOMException('The run was cancelled.', 'AbortError'));
    return written;
  }

  /** Ends the run now (timeout, broken progress report), aborting the handler instead of waiting for it. */
  private stop(failure: Failure): Promise<ActionRun> {
    this.stopped ??= failure;
    this.controller.abort(new DOMException(failure.message, 'AbortError'));
    return this.finish(this.stopped);
  }

  private finish(failure: Failure | undefined): Promise<ActionRun> {
    return this.write((run) => {
      switch (run.status) {
        case 'cancelling':
          return { status: 'cancelled', endTime: now() };
        case 'running':
          return failure
            ? { status: 'failed', errorCode: failure.code, errorMessage: failure.message, endTime: now() }
            : { status: 'completed', progress: 100, endTime: now() };
        default:
          return undefined;
      }
    });
  }

  private context(): ActionContext {
    return {
      actionUid: this.current.actionUid,
      signal: this.controller.signal,
      progress: async (percent, step) => {
        if (typeof percent !== 'number' || !Number.isFinite(percent) || percent < 0 || percent > 100) {
          await this.stop({
            code: 'invalid_progress',
            message: `The handler reported progress ${String(percent)}; progress is a number from 0 to 100.`,
          });
          return;
        }
        this.progressFloor = Math.max(this.progressFloor, percent);
        const progress = this.progressFloor;
        await this.write((run) => (run.status === 'running' ? { progress, step } : undefined));
      },
    };
  }

  /**
   * Queues one conditional write. `decide` sees the run as stored just before the write and returns the patch
   * to apply, or nothing to skip. A write that loses its condition (someone else changed the run) re-reads it.
   */
  private write(decide: (run: ActionRun) => ActionRunPatch | undefined): Promise<ActionRun> {
    const next = this.queue.then(async () => {
      const run = this.current;
      const patch = isTerminal(run.status) ? undefined : decide(run);
      if (!patch) return run;
      if (patch.status) assertTransition(run.status, patch.status);
      const updated = await this.repository.update(run.actionUid, run.status, patch);
      this.current = updated ?? (await this.reread(run));
      return this.current;
    });
    this.queue = next.catch((error: unknown) =>
      this.logger.error(`Could not record run ${this.current.actionUid} of ${this.action.name}`, error),
    );
    return next;
  }

  /** The run changed behind this session's back (e.g. recovered as lost by another process): follow the store. */
  private async reread(previous: ActionRun): Promise<ActionRun> {
    const stored = await this.repository.findByName(previous.name);
    const status: ActionStatus = stored?.actionUid === previous.actionUid ? stored.status : 'aborted';
    if (isTerminal(status))
      this.controller.abort(new DOMException('The run was ended elsewhere.', 'AbortError'));
    return stored?.actionUid === previous.actionUid ? stored : { ...previous, status };
  }
}

/** Executes runs in the background and routes cancels to the run's live session. */
@Injectable()
export class ActionRunner implements OnApplicationShutdown {
  private readonly logger = new Logger(ActionRunner.name);
  private readonly sessions = new Map<string, RunSession>();

  constructor(private readonly repository: ActionsRepository) {}

  /** Starts executing a freshly stored `queued` run; returns at once. */
  launch(run: ActionRun, action: RegisteredAction, params: object): void {
    const session = new RunSession(run, action, params, this.repository, this.logger);
    this.sessions.set(run.actionUid, session);
    session
      .execute()
      .catch((error: unknown) => this.logger.error(`Run ${run.actionUid} of ${action.name} crashed`, error))
      .finally(() => this.sessions.delete(run.actionUid));
  }

  /** Cancels the run if it executes here; `undefined` when this process does not own it. */
  cancel(actionUid: string): Promise<ActionRun> | undefined {
    return this.sessions.get(actionUid)?.cancel();
  }

  /** Runs still executing in this process (for shutdown and tests). */
  get activeRuns(): number {
    return this.sessions.size;
  }

  onApplicationShutdown(): void {
    for (const session of this.sessions.values()) void session.cancel();
  }
}
