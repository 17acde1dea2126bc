import type { Logger } from '@nestjs/common';
import { assertTransition, isTerminal } from './action-lifecycle.js';
import type { RegisteredAction } from './action-registry.js';
import { cancelPatch, withSteps, type ActionRun, type ActionRunPatch } from './action-run.js';
import type { ActionsRepository, RunFence } from './actions.repository.js';
import type { RunStore } from './run-store.js';
import type { ActionContext } from './cluster-action-handler.js';
import { DomainError } from '../errors/domain-error.js';
import { shortened } from '../common/client-text.js';
import { closeTimeline, enterStep } from './step-timeline.js';

/** Why a run stopped early; it decides the terminal state. */
interface Failure {
  readonly code: string;
  readonly message: string;
  /** The run was lost to the service stopping, not failed by its own work: it ends `aborted`. */
  readonly lost?: boolean;
}

const MAX_ERROR_MESSAGE = 500;

/** The largest `context.result(...)`, as JSON text. */
export const MAX_RESULT_BYTES = 64 * 1024;

/** `value` as a stored result (a JSON round trip), or undefined when it is not a JSON object within the limit. */
function storableResult(value: unknown): Record<string, unknown> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  let json: string;
  try {
    json = JSON.stringify(value);
  } catch {
    return undefined; // cycles, BigInt
  }
  return Buffer.byteLength(json) <= MAX_RESULT_BYTES
    ? (JSON.parse(json) as Record<string, unknown>)
    : undefined;
}

/** What a handler's rejection means for the run: a DomainError keeps its code, anything else is internal. */
function failureOf(error: unknown): Failure {
  if (error instanceof DomainError) return { code: error.code, message: error.description };
  const message =
    error instanceof Error ? error.message : `Handler threw a non-Error value: ${String(error)}`;
  return { code: 'internal_error', message: message.slice(0, MAX_ERROR_MESSAGE) || 'Handler failed.' };
}

const now = (): string => new Date().toISOString();

/** Once the lease is a third gone, so that two renewals can fail or run late before it runs out. */
const renewalPeriod = (leaseMs: number): number => Math.floor(leaseMs / 3);

export const leaseUntil = (leaseMs: number): string => new Date(Date.now() + leaseMs).toISOString();

/** A failed store write is tried again after each of these pauses (about 3 s in all) before the run is given up. */
const WRITE_RETRY_DELAYS_MS = [10, 50, 250, 1000, 2000];

/**
 * One run executing in this process. Every write to the run goes through `write`, which queues it behind the
 * previous one and decides the new state from the run as it is at that moment. So a cancel, a progress report,
 * a timeout and the handler's own result can race in any order and the run still takes exactly one legal path
 * to exactly one terminal state:
 * - cancel wins over a result that is recorded after it (the run ends `cancelled`);
 * - a timeout or an invalid progress report ends a running run `failed` at once, without waiting for the handler;
 * - a shutdown lets the handler stop at its next safe point: a result it still reaches is kept, anything else
 *   ends `aborted`;
 * - whatever the handler does after its run reached a terminal state is ignored.
 * While it executes, the session renews the run's lease through the same queue.
 *
 * A store write that fails is tried again for a few seconds. If the store stays unwritable the session gives
 * the run up: it aborts the handler and stops writing, leaving the run as last stored with a lease that nobody
 * renews; the ActionRecovery sweep records it `aborted` (`executor_lost`) once the lease has run out.
 */
export class RunSession {
  private readonly controller = new AbortController();
  private queue: Promise<unknown> = Promise.resolve();
  private timer?: NodeJS.Timeout;
  private leaseTimer?: NodeJS.Timeout;
  private progressFloor = 0;
  /** Set when the session stopped the run itself; it outranks whatever the handler does afterwards. */
  private stopped?: Failure;
  /** Set when the service is stopping: the outcome of a handler that does not complete. */
  private interrupted?: Failure;
  /** Set once the handler asked for its point of no return: a cancel queued after that is not recorded. */
  private noReturn = false;
  /** A timeout past the point of no return: the outcome only if the handler then gives up. */
  private overdue?: Failure;
  private markEnded!: () => void;
  /** Resolves once the run is recorded in a terminal state, even if its handler never returns. */
  readonly ended = new Promise<void>((resolve) => (this.markEnded = resolve));

  /** Set once the store refused a write for good: the session no longer speaks for the run. */
  givenUp = false;

  constructor(
    private current: ActionRun,
    private readonly action: RegisteredAction,
    private readonly params: object,
    private readonly repository: ActionsRepository,
    private readonly store: RunStore,
    private readonly logger: Logger,
    private readonly leaseMs: number,
  ) {}

  get run(): ActionRun {
    return this.current;
  }

  /** Whether the run is over for this session: recorded terminal, or given up. */
  get isOver(): boolean {
    return this.givenUp || isTerminal(this.current.status);
  }

  /** Holds the run from now on, queued or executing: renews its lease until it ends. */
  hold(): void {
    this.leaseTimer = setInterval(
      () => void this.write(() => ({ leaseExpiresAt: leaseUntil(this.leaseMs) })),
      renewalPeriod(this.leaseMs),
    );
  }

  async execute(): Promise<void> {
    this.timer = setTimeout(() => this.timeOut(), this.action.timeoutMs);
    await this.write((run) => (run.status === 'queued' ? { status: 'starting' } : undefined));
    await this.write((run) =>
      run.status === 'starting' ? { status: 'running', startTime: now() } : undefined,
    );
    // Interrupted before the handler started: nothing ran, so the run is lost.
    let failure = this.interrupted;
    if (this.current.status === 'running' && !this.controller.signal.aborted) {
      try {
        // Again now that it executes: the state may have changed since the run was requested.
        await this.action.handler.preconditions(this.params);
        await this.action.handler.run(this.params, this.context());
      } catch (error) {
        failure = this.interrupted ?? this.overdue ?? this.failed(error);
      }
    }
    this.release();
    await this.finish(this.stopped ?? failure);
  }

  /** Shutdown: fires the handler's signal so that it stops at its next safe point. */
  interrupt(): void {
    this.interrupted = {
      code: 'shutdown',
      message: 'The service stopped before the run finished.',
      lost: true,
    };
    this.controller.abort(new DOMException(this.interrupted.message, 'AbortError'));
  }

  /** Shutdown grace over: records the run `aborted` now, without waiting any longer for the handler. */
  abandon(graceMs: number): Promise<ActionRun> {
    return this.stop({
      code: 'shutdown',
      message: `The service stopped; the run did not reach a safe point within ${graceMs} ms.`,
      lost: true,
    });
  }

  /**
   * Graceful stop of a primary that executes runs for the cluster: a run that never started goes back to the
   * store for the next primary to claim (its lease ends now) instead of being recorded lost. Returns whether it did.
   */
  async giveBack(): Promise<boolean> {
    const run = await this.write((run) => (run.status === 'queued' ? { leaseExpiresAt: now() } : undefined));
    if (run.status !== 'queued') return false;
    this.abandonRun('The run was given back for the next primary.');
    return true;
  }

  /** DELETE on a live run: queued -> cancelled, starting/running -> cancelling. */
  cancel(by: string): Promise<ActionRun> {
    const written = this.write((run) => cancelPatch(run, by));
    // The cancel is queued before the signal fires, so any result the handler produces in reaction comes after it.
    // Past the point of no return (queued before this cancel, so recorded first) the handler is not stopped.
    if (!this.noReturn) this.controller.abort(new DOMException('The run was cancelled.', 'AbortError'));
    return written;
  }

  /** Before the point of no return a timeout ends the run at once; after it, only if the handler gives up. */
  private timeOut(): void {
    const timeout = { code: 'timeout', message: `The run took longer than ${this.action.timeoutMs} ms.` };
    if (!this.noReturn) {
      void this.stop(timeout);
      return;
    }
    this.overdue = timeout;
    this.controller.abort(new DOMException(timeout.message, 'AbortError'));
  }

  /** Ends the run now (timeout, broken progress report, shutdown), aborting the handler instead of waiting for it. */
  private stop(failure: Failure): Promise<ActionRun> {
    this.stopped ??= failure;
    this.release();
    this.controller.abort(new DOMException(failure.message, 'AbortError'));
    return this.finish(this.stopped);
  }

  private failed(error: unknown): Failure {
    // A rejection once the signal fired is the handler stopping as asked, not a fault worth a stack trace.
    if (!(error instanceof DomainError) && !this.controller.signal.aborted) {
      this.logger.error(`Action ${this.action.name} (${this.current.actionUid}) failed`, error);
    }
    return failureOf(error);
  }

  /** The run no longer needs its timeout or its lease renewals. */
  private release(): void {
    clearTimeout(this.timer);
    clearInterval(this.leaseTimer);
  }

  private finish(failure: Failure | undefined): Promise<ActionRun> {
    return this.write((run) => {
      const end = this.endOf(run, failure);
      return end && withSteps(end, closeTimeline(run.steps, end.status, end.endTime));
    });
  }

  /** The terminal write of `run` given how its handler stopped; nothing when it is not this session's to end. */
  private endOf(
    run: ActionRun,
    failure: Failure | undefined,
  ): (ActionRunPatch & Required<Pick<ActionRunPatch, 'status' | 'endTime'>>) | undefined {
    const endTime = now();
    if (run.status === 'cancelling') return { status: 'cancelled', endTime };
    if (!failure)
      return run.status === 'running' ? { status: 'completed', progress: 100, endTime } : undefined;
    // A lost run ends aborted whether or not its handler got to run (queued, starting or running).
    if (!failure.lost && run.status !== 'running') return undefined;
    const status = failure.lost ? 'aborted' : 'failed';
    return { status, errorCode: failure.code, errorMessage: failure.message, endTime };
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
        let refusedStep = false;
        await this.write((run) => {
          if (run.status !== 'running') return undefined;
          if (this.action.steps.length === 0) return { progress, step };
          if (step === undefined) return { progress }; // still in the running step
          const steps = enterStep(run.steps ?? [], step, now());
          if (!steps) {
            refusedStep = true;
            return undefined;
          }
          return steps === run.steps ? { progress, step } : { progress, step, steps };
        });
        if (refusedStep) {
          await this.stop({
            code: 'invalid_step',
            message:
              `The handler reported step ${JSON.stringify(shortened(String(step), 64))}, which is not one of ` +
              `the steps it declares still ahead (${this.action.steps.join(', ')}).`,
          });
        }
      },
      result: async (value) => {
        const result = storableResult(value);
        if (!result) {
          await this.stop({
            code: 'invalid_result',
            message: `The handler reported a result that is not a JSON object of at most ${MAX_RESULT_BYTES} bytes.`,
          });
          return;
        }
        // Also while cancelling: what the handler did before it saw the cancel is part of the run's outcome.
        await this.write((run) =>
          run.status === 'running' || run.status === 'cancelling' ? { result } : undefined,
        );
      },
      pointOfNoReturn: async () => {
        this.noReturn = true;
        const run = await this.write((run) =>
          run.status === 'running' && !this.controller.signal.aborted ? { cancellable: false } : undefined,
        );
        if (run.cancellable !== false) {
          // Refused (cancelled or stopped first): a timeout ends the run at once again, as before the request.
          this.noReturn = false;
          throw new DOMException('The run was stopped before its point of no return.', 'AbortError');
        }
      },
    };
  }

  /**
   * Queues one conditional write. `decide` sees the run as stored just before the write and returns the patch
   * to apply, or nothing to skip. A write that loses its condition (someone else changed the run) re-reads it.
   */
  private write(decide: (run: ActionRun) => ActionRunPatch | undefined): Promise<ActionRun> {
    return this.enqueue(async () => {
      const run = this.current;
      const patch = isTerminal(run.status) || this.givenUp ? undefined : decide(run);
      if (!patch) return run;
      if (patch.status) assertTransition(run.status, patch.status);
      const updated = await this.retrying(() =>
        this.store.update(run.actionUid, run.status, patch, this.fence()),
      );
      if (updated) this.current = updated;
      else await this.retrying(() => this.reread(run));
      return this.current;
    });
  }

  /**
   * A change of this run stored by someone else — a cancel on another replica, a recovery — seen on RunEvents.
   * Followed in turn with this session's own writes, from a fresh read (notifications may arrive late).
   */
  noticeStored(stored: ActionRun): void {
    if (this.isOver || stored.status === this.current.status) return;
    void this.enqueue(async () => {
      const fresh = this.isOver ? undefined : await this.repository.findByUid(stored.actionUid);
      if (fresh) this.follow(fresh);
      return this.current;
    });
  }

  /** Runs `work` after every write queued before it; a store that keeps failing gives the run up. */
  private enqueue(work: () => Promise<ActionRun>): Promise<ActionRun> {
    const next = this.queue.then(work).then((run) => {
      if (isTerminal(run.status)) {
        this.release();
        this.markEnded();
      }
      return run;
    });
    this.queue = next.catch((error: unknown) => this.giveUp(error));
    return next;
  }

  /** Every write of this session lands only while this process still holds the run's lease. */
  private fence(): RunFence {
    return { ownerId: this.current.ownerId ?? '', now: now() };
  }

  private async retrying<T>(attempt: () => Promise<T>): Promise<T> {
    for (const delay of WRITE_RETRY_DELAYS_MS) {
      try {
        return await attempt();
      } catch {
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
    return attempt();
  }

  /** The store refused a write for good: stop the handler and leave the run to the recovery sweep. */
  private giveUp(error: unknown): void {
    if (this.givenUp) return;
    this.logger.error(
      `Could not record run ${this.current.actionUid} of ${this.action.name}; giving it up to recovery`,
      error,
    );
    this.abandonRun('The run could not be recorded.');
  }

  /** This session no longer speaks for the run: its handler is stopped and it writes nothing more. */
  private abandonRun(reason: string): void {
    if (this.givenUp) return;
    this.givenUp = true;
    this.release();
    this.controller.abort(new DOMException(reason, 'AbortError'));
    this.markEnded();
  }

  /**
   * A write lost its condition: the run changed behind this session's back, or this process lost its lease on
   * it (a long pause, a store outage) and another may be recovering it. Follows the run as stored.
   */
  private async reread(previous: ActionRun): Promise<void> {
    const stored = await this.repository.findByUid(previous.actionUid);
    if (stored && stored.ownerId !== previous.ownerId) {
      this.handedOver(stored);
      return;
    }
    if (!stored || stored.status === previous.status) {
      this.logger.warn(
        `Lost the lease of run ${previous.actionUid} of ${this.action.name}; stopping its handler.`,
      );
      this.abandonRun('This process lost the lease of the run.');
      return;
    }
    this.follow(stored);
  }

  /**
   * The run moved to another process (a change_master handed it to the new primary with the role): that process
   * records the rest, this session stops without a word more.
   */
  private handedOver(stored: ActionRun): void {
    this.logger.log(`Run ${stored.actionUid} of ${this.action.name} was handed over to ${stored.ownerId}.`);
    this.abandonRun('The run was handed over to another process.');
  }

  /** Takes the run as stored by someone else: a cancel stops the handler, so does an end recorded elsewhere. */
  private follow(stored: ActionRun): void {
    if (stored.ownerId !== this.current.ownerId) return this.handedOver(stored);
    if (stored.status === this.current.status) return;
    this.current = stored;
    if (stored.status === 'cancelling') {
      this.controller.abort(new DOMException('The run was cancelled.', 'AbortError'));
    } else if (isTerminal(stored.status)) {
      this.logger.warn(
        `Run ${stored.actionUid} of ${this.action.name} was recorded ${stored.status} elsewhere; stopping its handler.`,
      );
      this.controller.abort(new DOMException('The run was ended elsewhere.', 'AbortError'));
    }
  }
}
