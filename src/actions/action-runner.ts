import {
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { AppConfig } from '../config/app-config.js';
import { isTerminal } from './action-lifecycle.js';
import type { RegisteredAction } from './action-registry.js';
import type { ActionRun } from './action-run.js';
import { ActionsRepository } from './actions.repository.js';
import { RunEvents } from './run-events.js';
import { leaseUntil, RunSession } from './run-session.js';
import { RunStore } from './run-store.js';

/**
 * Executes runs in the background, owns them through a lease, and routes cancels to the run's live session:
 * a DELETE served here directly, one served by another process (a replica) through RunEvents.
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
  /** This process as the owner of its runs: host and pid for people, a random part as pids are reused. */
  private readonly ownerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private unsubscribe?: () => void;

  constructor(
    private readonly repository: ActionsRepository,
    private readonly store: RunStore,
    private readonly events: RunEvents,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.events.subscribe((run) => this.sessions.get(run.actionUid)?.noticeStored(run));
  }

  /** The owner and first lease of a run that this process is about to store and launch. */
  claim(): Pick<ActionRun, 'ownerId' | 'leaseExpiresAt'> {
    return { ownerId: this.ownerId, leaseExpiresAt: leaseUntil(this.config.actionLeaseMs) };
  }

  /**
   * Takes a freshly stored `queued` run and returns at once. The run executes in the background as soon as
   * fewer than MAX_CONCURRENT_RUNS runs execute; until then it stays `queued` (and a cancel ends it at once).
   */
  launch(run: ActionRun, action: RegisteredAction, params: object): void {
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
    const outcome = await this.stopRuns([...this.sessions.values()]);
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
