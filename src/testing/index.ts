// The test kit for action handlers (`cluster-actions/testing`): a handler runs against an in-memory run through the
// service's own run session and store, without Nest or HTTP, and every state the run is stored in is recorded.
import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { ActionStatus } from '../actions/action-lifecycle.js';
import { describeAction } from '../actions/action-registry.js';
import type { ActionRun } from '../actions/action-run.js';
import type { ClusterActionHandler } from '../actions/cluster-action-handler.js';
import { CLUSTER_ACTION_METADATA, type ClusterActionOptions } from '../actions/cluster-action.decorator.js';
import { RunSession } from '../actions/run-session.js';
import { RunStore } from '../actions/run-store.js';
import { openMemoryBackend } from '../storage/memory/memory-backend.js';
import { pendingTimeline } from '../actions/step-timeline.js';

/** One state of the run as the service stored it (what GET shows, in the handler's terms). */
export interface RecordedState {
  readonly status: ActionStatus;
  readonly progress: number;
  readonly step?: string;
  readonly errorCode?: string;
  readonly errorMessage?: string;
  /** False once the handler passed its point of no return. */
  readonly cancellable: boolean;
  readonly result?: Readonly<Record<string, unknown>>;
}

export interface StartRunOptions {
  /** The run's timeout; by default the handler's `timeoutMs`, its `@ClusterAction` one, or the service's default. */
  readonly timeoutMs?: number;
  /**
   * Cancels the run (as a DELETE would) the moment a stored state matches, before the handler's `progress`,
   * `result` or `pointOfNoReturn` call that stored it returns: a cancel at exactly that point.
   */
  readonly cancelWhen?: (state: RecordedState) => boolean;
}

/** What a run's session logs (a handler's unexpected error, a lost lease), kept for assertions instead of printed. */
export interface LoggedLine {
  readonly level: 'error' | 'warn' | 'log';
  readonly message: string;
}

class RecordingLogger extends Logger {
  readonly lines: LoggedLine[] = [];

  override error(message: unknown): void {
    this.lines.push({ level: 'error', message: String(message) });
  }

  override warn(message: unknown): void {
    this.lines.push({ level: 'warn', message: String(message) });
  }

  override log(message: unknown): void {
    this.lines.push({ level: 'log', message: String(message) });
  }
}

const TEST_OWNER = 'cluster-actions/testing';
/** Long enough never to run out within a test: the kit does not renew it. */
const TEST_LEASE_MS = 24 * 60 * 60 * 1000;

const stateOf = (run: ActionRun): RecordedState => ({
  status: run.status,
  progress: run.progress,
  step: run.step,
  errorCode: run.errorCode,
  errorMessage: run.errorMessage,
  cancellable: run.cancellable !== false,
  result: run.result,
});

/** A run of one handler, executing in the background as soon as it is started. */
export class HandlerRun {
  /** Every state the run was stored in, in order, from `queued` to its terminal state. */
  readonly states: RecordedState[] = [];
  /** Resolves with the terminal state once the run has ended (even if the handler never returns). */
  readonly ended: Promise<RecordedState>;

  private constructor(
    private readonly session: RunSession,
    private readonly logger: RecordingLogger,
  ) {
    this.ended = session.ended.then(() => this.state);
  }

  /**
   * Prechecks `params` with the handler (rejecting as POST would answer), stores a `queued` run and starts it.
   * `params` are given as the POST body would be once validated.
   */
  static async start<Params extends object>(
    handler: ClusterActionHandler<Params>,
    params: Params,
    options: StartRunOptions = {},
  ): Promise<HandlerRun> {
    await handler.precheck(params);
    const decorated = Reflect.getMetadata(CLUSTER_ACTION_METADATA, handler.constructor) as
      ClusterActionOptions | undefined;
    const described = describeAction(handler, decorated ?? { name: 'test_action' });
    const action = { ...described, timeoutMs: options.timeoutMs ?? described.timeoutMs };
    const { name } = action;
    const backend = openMemoryBackend();
    const store = new RunStore(backend.actions, backend.events);
    const logger = new RecordingLogger(TEST_OWNER);
    const run: ActionRun = {
      actionUid: randomUUID(),
      name,
      status: 'queued',
      progress: 0,
      params: { ...params } as Record<string, unknown>,
      steps: pendingTimeline(action.steps),
      creationTime: new Date().toISOString(),
      startedBy: TEST_OWNER,
      ownerId: TEST_OWNER,
      leaseExpiresAt: new Date(Date.now() + TEST_LEASE_MS).toISOString(),
    };
    const session = new RunSession(run, action, params, backend.actions, store, logger, TEST_LEASE_MS);
    const handlerRun = new HandlerRun(session, logger);
    let cancelled = false;
    backend.events.subscribe((stored) => {
      const state = stateOf(stored);
      handlerRun.states.push(state);
      if (!cancelled && options.cancelWhen?.(state)) {
        cancelled = true;
        void handlerRun.cancel();
      }
    });
    await store.insertUnlessActive(run);
    void session.execute();
    return handlerRun;
  }

  /** The run as last stored. */
  get state(): RecordedState {
    return stateOf(this.session.run);
  }

  /** The statuses the run went through, in order, each once. */
  get statuses(): ActionStatus[] {
    return this.states.map((state) => state.status).filter((status, index, all) => status !== all[index - 1]);
  }

  /** Lines the run's session logged (e.g. the stack of a handler's unexpected error). */
  get logged(): readonly LoggedLine[] {
    return this.logger.lines;
  }

  /**
   * Cancels the run as DELETE does, and resolves with the state the cancel left it in (`cancelled` if it was
   * queued, `cancelling` while the handler stops; unchanged past the point of no return).
   */
  async cancel(): Promise<RecordedState> {
    return stateOf(await this.session.cancel('test'));
  }

  /**
   * The service stopping: the handler's signal fires; a run that does not complete ends `aborted`. With
   * `graceMs`, the run is recorded `aborted` that long after if the handler has not returned by then.
   */
  async stopService(graceMs?: number): Promise<RecordedState> {
    this.session.interrupt();
    if (graceMs !== undefined) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.session.ended,
        new Promise((resolve) => (timer = setTimeout(resolve, graceMs))),
      ]);
      clearTimeout(timer);
      await this.session.abandon(graceMs);
    }
    return this.ended;
  }
}

/** Starts `handler` on `params` in an in-memory run; see HandlerRun.start. */
export function startRun<Params extends object>(
  handler: ClusterActionHandler<Params>,
  params: Params,
  options?: StartRunOptions,
): Promise<HandlerRun> {
  return HandlerRun.start(handler, params, options);
}
