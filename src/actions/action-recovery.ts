import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { StoreUnavailableError } from '../errors/domain-error.js';
import { ACTION_STATUSES, assertTransition, isTerminal } from './action-lifecycle.js';
import type { ActionRunPatch } from './action-run.js';
import { ActionsRepository } from './actions.repository.js';
import { Coordination, type CoordinatorTurn } from './coordination.js';
import { RunStore } from './run-store.js';

const EXECUTOR_LOST_AT_START =
  'The process executing this run stopped before the run finished; the run was recovered at the next start.';
const EXECUTOR_LOST_LEASE = 'Nobody renewed the lease of this run: its process or its store failed.';

/** Often enough that a lost run is recovered within about its lease, rarely enough to cost nothing. */
const sweepPeriod = (leaseMs: number): number => Math.min(1000, Math.max(100, Math.floor(leaseMs / 4)));

/**
 * Ends the runs that nobody executes any more, so that none stays in progress forever and a new run of the same
 * action can start: `cancelling` becomes `cancelled`, any other active status `aborted` with `executor_lost`.
 *
 * - At start-up, before any request is served, when the store is not shared: it is used by one process at a
 *   time (the SQLite file is locked; memory dies with the process), so every active run found then was left by
 *   a dead process. A shared store's active runs may belong to live replicas: they are left to the sweep.
 * - Then every second or so: runs whose lease has run out, i.e. whose owner stopped renewing it (a dead
 *   replica, or a session that gave a run up because its store failed). Sweeping at expiry is safe because every
 *   write of an owner is fenced by its lease: an owner that is merely late can no longer change the run, and
 *   its session stops the handler when its next write is refused.
 */
@Injectable()
export class ActionRecovery implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(ActionRecovery.name);
  private sweeper?: NodeJS.Timeout;

  constructor(
    private readonly repository: ActionsRepository,
    private readonly store: RunStore,
    private readonly config: AppConfig,
    private readonly coordination: Coordination,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.repository.shared) await this.recover(undefined, EXECUTOR_LOST_AT_START, {});
    this.sweeper = setInterval(
      () =>
        void this.sweep().catch((error: unknown) =>
          // An outage is expected and said once a sweep; anything else is a fault worth its stack.
          error instanceof StoreUnavailableError
            ? this.logger.warn('Could not sweep abandoned runs: the store does not answer.')
            : this.logger.error('Could not sweep abandoned runs', error),
        ),
      sweepPeriod(this.config.actionLeaseMs),
    );
    this.sweeper.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  /** Only the coordinator sweeps (the primary, with CLUSTER_NODES=replicas), fenced by its leader lease. */
  private async sweep(): Promise<void> {
    const turn = this.coordination.turn();
    if (turn) await this.recover(new Date().toISOString(), EXECUTOR_LOST_LEASE, turn);
  }

  private async recover(
    leaseExpiredBy: string | undefined,
    message: string,
    { leader }: CoordinatorTurn,
  ): Promise<void> {
    const endTime = new Date().toISOString();
    for (const status of ACTION_STATUSES.filter((s) => !isTerminal(s))) {
      // A queued run never started: when the primary executes runs it claims an abandoned one again instead.
      if (status === 'queued' && this.coordination.primaryExecutes) continue;
      const to = status === 'cancelling' ? 'cancelled' : 'aborted';
      assertTransition(status, to);
      const patch: ActionRunPatch =
        to === 'aborted'
          ? { status: to, errorCode: 'executor_lost', errorMessage: message, endTime }
          : { status: to, endTime };
      for (const run of await this.store.updateAbandoned(status, patch, leaseExpiredBy, leader)) {
        this.logger.warn(
          `Run ${run.actionUid} of ${run.name} was ${status} with nobody executing it: now ${run.status}.`,
        );
      }
    }
  }
}
