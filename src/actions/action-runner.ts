import {
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { parseBody } from '../common/parse-body.js';
import { AppConfig } from '../config/app-config.js';
import { isTerminal } from './action-lifecycle.js';
import { ActionRegistry, type RegisteredAction } from './action-registry.js';
import { withSteps, type ActionRun } from './action-run.js';
import { ActionsRepository } from './actions.repository.js';
import { Coordination, type Leadership } from './coordination.js';
import { RunEvents } from './run-events.js';
import { leaseUntil, RunSession } from './run-session.js';
import { RunStore } from './run-store.js';
import { closeTimeline, enterStep } from './step-timeline.js';

/**
 * Executes runs in the background, owns them through a lease, and routes cancels to the run's live session:
 * a DELETE served here directly, one served by another process (a replica) through RunEvents.
 * With CLUSTER_NODES=replicas only the primary executes: it claims the `queued` runs any replica stored, as soon
 * as their change is announced and again at each of its heartbeats.
 */
@Injectable()
export class ActionRunner implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(ActionRunner.name);
  /** Every run this process holds, queued or executing, by action_uid. */
  private readonly sessions = new Map<string, RunSession>();
  /** Runs waiting for an execution slot, oldest first. */
  private readonly waiting: RunSession[] = [];
  private executing = 0;
  private stopping = false;
  private stopStartedAt = performance.now();
  private readonly ownerId: string;
  private unsubscribe?: () => void;
  /** The claim in progress, and whether another one was asked for meanwhile (one follows it then). */
  private claiming?: Promise<void>;
  private claimAgain = false;

  constructor(
    private readonly repository: ActionsRepository,
    private readonly store: RunStore,
    private readonly events: RunEvents,
    private readonly config: AppConfig,
    private readonly coordination: Coordination,
    private readonly registry: ActionRegistry,
  ) {
    this.ownerId = coordination.ownerId;
  }

  onModuleInit(): void {
    const primaryExecutes = this.coordination.primaryExecutes;
    this.unsubscribe = this.events.subscribe((run) => {
      this.sessions.get(run.actionUid)?.noticeStored(run);
      if (primaryExecutes && run.status === 'queued' && run.ownerId === undefined) this.requestClaim();
    });
    if (primaryExecutes) this.coordination.whileCoordinating((leadership) => this.coordinate(leadership));
  }

  /**
   * The owner and first lease of a run that this process is about to store and launch. When the primary
   * executes runs the run is stored without an owner, for the primary to claim (a queued run is never swept
   * then: however long it waits for a primary, one claims it).
   */
  claim(): Pick<ActionRun, 'ownerId' | 'leaseExpiresAt'> {
    const leaseExpiresAt = leaseUntil(this.config.actionLeaseMs);
    return this.coordination.primaryExecutes ? { leaseExpiresAt } : { ownerId: this.ownerId, leaseExpiresAt };
  }

  /**
   * Takes a freshly stored `queued` run and returns at once. The run executes in the background as soon as
   * fewer than MAX_CONCURRENT_RUNS runs execute; until then it stays `queued` (and a cancel ends it at once).
   * When the primary executes runs, this leaves the run to the primary's claim (this process's, if it is one).
   */
  launch(run: ActionRun, action: RegisteredAction, params: object): void {
    if (run.ownerId === this.ownerId) this.execute(run, action, params);
  }

  private execute(run: ActionRun, action: RegisteredAction, params: object): void {
    const session = new RunSession(
      run,
      action,
      params,
      this.repository,
      this.store,
      this.logger,
      this.config.actionLeaseMs,
    );
    this.sessions.set(run.actionUid, session);
    // Forgotten once its run is over, even if a handler that timed out never returns.
    void session.ended.then(() => this.sessions.delete(run.actionUid));
    session.hold();
    this.waiting.push(session);
    this.startWaiting();
  }

  private startWaiting(): void {
    while (!this.stopping && this.executing < this.config.maxConcurrentRuns && this.waiting.length > 0) {
      const session = this.waiting.shift()!;
      if (session.isOver) continue; // cancelled while it waited
      this.executing++;
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        this.executing--;
        this.startWaiting();
      };
      // The slot frees when the run is over, not when a handler that ignores its signal finally returns.
      void session.ended.then(release);
      session
        .execute()
        .catch((error: unknown) => {
          if (!session.givenUp) this.logger.error(`Run ${session.run.actionUid} crashed`, error);
        })
        .finally(release);
    }
  }

  /** One beat of the primary: completes the change_master that handed it the role, then claims leftovers. */
  private async coordinate({ leader, handedOver }: Leadership): Promise<void> {
    if (handedOver) {
      const fence = () => ({ ownerId: this.ownerId, now: new Date().toISOString(), leader });
      const { actionUid, step } = handedOver;
      const run = await this.repository.findByUid(actionUid);
      const confirmedAt = new Date().toISOString();
      const confirmed = await this.store.update(
        actionUid,
        'running',
        withSteps({ progress: 90, step }, run?.steps && enterStep(run.steps, step, confirmedAt)),
        fence(),
      );
      const endTime = new Date().toISOString();
      if (confirmed) {
        await this.store.update(
          actionUid,
          'running',
          withSteps(
            { status: 'completed', progress: 100, endTime },
            closeTimeline(confirmed.steps, 'completed', endTime),
          ),
          fence(),
        );
      }
    }
    this.requestClaim();
    await this.claiming;
  }

  /** Claims as soon as the claim in progress (if any) is done; requests meanwhile make one more claim. */
  private requestClaim(): void {
    if (this.claiming) {
      this.claimAgain = true;
      return;
    }
    this.claiming = this.claimWhileAsked().finally(() => (this.claiming = undefined));
  }

  private async claimWhileAsked(): Promise<void> {
    do {
      this.claimAgain = false;
      await this.claimQueued().catch((error: unknown) =>
        this.logger.warn(`Could not claim queued runs: ${String(error)}`),
      );
    } while (this.claimAgain);
  }

  /** The primary takes every queued run nobody holds, fenced by its leader lease, and executes it here. */
  private async claimQueued(): Promise<void> {
    const leader = this.coordination.turn()?.leader;
    if (!leader || this.stopping) return;
    const claimed = await this.store.claimQueued(
      {
        ownerId: this.ownerId,
        executorNode: leader.nodeUid,
        leaseExpiresAt: leaseUntil(this.config.actionLeaseMs),
        now: new Date().toISOString(),
        names: this.registry.names(),
      },
      leader,
    );
    for (const run of claimed) {
      const action = this.registry.require(run.name);
      // The parameters as the POST path gave them to the handler, validated into its params class again; as
      // stored if this release cannot (the replica that accepted them validated them).
      const params = await parseBody(action.params, run.params, `parameters of '${run.name}'`).catch(
        () => run.params,
      );
      this.execute(run, action, params);
    }
  }

  /** Cancels the run if it executes here; `undefined` when this process does not own it. */
  cancel(actionUid: string, by: string): Promise<ActionRun> | undefined {
    return this.sessions.get(actionUid)?.cancel(by);
  }

  /** Runs still executing in this process (for tests). */
  get activeRuns(): number {
    return this.sessions.size;
  }

  /** When the graceful stop began (Nest closes the HTTP server between this and onApplicationShutdown). */
  beforeApplicationShutdown(): void {
    this.stopStartedAt = performance.now();
  }

  /**
   * Graceful stop. Nest calls this once the HTTP server has closed, so no new run can start. Every run is asked
   * to stop at its next safe point; SHUTDOWN_GRACE_MS later, the ones still going are recorded `aborted`. The
   * store closes after this (Nest shuts the global StorageModule down last). One line says what happened.
   */
  async onApplicationShutdown(signal?: string): Promise<void> {
    this.stopping = true;
    let sessions = [...this.sessions.values()];
    let handedBack = '';
    if (this.coordination.primaryExecutes) {
      // Runs still waiting for a slot never started: the next primary claims them instead.
      const givenBack = await Promise.all(sessions.map((session) => session.giveBack()));
      sessions = sessions.filter((_, index) => !givenBack[index]);
      const count = givenBack.filter(Boolean).length;
      if (count > 0) handedBack = `; ${count} queued run(s) given back for the next primary`;
    }
    const outcome = (await this.stopRuns(sessions)) + handedBack;
    this.unsubscribe?.();
    const took = Math.round(performance.now() - this.stopStartedAt);
    this.logger.log(`Graceful stop${signal ? ` on ${signal}` : ''} took ${took} ms: ${outcome}.`);
  }

  private async stopRuns(sessions: RunSession[]): Promise<string> {
    if (sessions.length === 0) return 'no run was in progress';
    const graceMs = this.config.shutdownGraceMs;
    this.logger.log(`Stopping ${sessions.length} run(s) at their next safe point (up to ${graceMs} ms).`);
    for (const session of sessions) session.interrupt();
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([Promise.all(sessions.map((session) => session.ended)), graceOver]);
    clearTimeout(timer);
    const late = sessions.filter((session) => !session.isOver);
    // Records the runs still going as aborted; a session whose run ended meanwhile writes nothing.
    await Promise.all(sessions.map((session) => session.abandon(graceMs)));
    const early = sessions.filter((session) => !late.includes(session));
    const interrupted = early.filter((session) => session.run.status === 'aborted').length;
    const finished = early.filter((session) => isTerminal(session.run.status)).length - interrupted;
    return (
      `${finished} run(s) finished, ${interrupted} stopped at a safe point and recorded aborted, ` +
      `${late.length} recorded aborted after the ${graceMs} ms grace`
    );
  }
}
