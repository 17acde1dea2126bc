import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { ACTION_STATUSES, assertTransition, isTerminal } from './action-lifecycle.js';
import type { ActionRunPatch } from './action-run.js';
import { RunStore } from './run-store.js';

const EXECUTOR_LOST_AT_START =
  'The process executing this run stopped before the run finished; the run was recovered at the next start.';
const EXECUTOR_LOST_LEASE = 'Nobody renewed the lease of this run: its process or its store failed.';

/**
 * Ends the runs that nobody executes any more, so that none stays in progress forever and a new run of the same
 * action can start: `cancelling` becomes `cancelled`, any other active status `aborted` with `executor_lost`.
 *
 * - At start-up, before any request is served: both backends are used by one process at a time (the SQLite
 *   file is locked; memory dies with the process), so every active run found then was left by a dead process.
 * - Then periodically: runs whose lease ran out a whole lease ago, i.e. whose owner stopped renewing it (a
 *   session that gave a run up because its store failed, or, with a shared store, a dead replica). The extra
 *   lease keeps a live owner that is merely late from being swept.
 */
@Injectable()
export class ActionRecovery implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(ActionRecovery.name);
  private sweeper?: NodeJS.Timeout;

  constructor(
    private readonly store: RunStore,
    private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.recover(undefined, EXECUTOR_LOST_AT_START);
    const leaseMs = this.config.actionLeaseMs;
    this.sweeper = setInterval(
      () => {
        const expiredBy = new Date(Date.now() - leaseMs).toISOString();
        this.recover(expiredBy, EXECUTOR_LOST_LEASE).catch((error: unknown) =>
          this.logger.error('Could not sweep abandoned runs', error),
        );
      },
      Math.floor(leaseMs / 3),
    );
    this.sweeper.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  private async recover(leaseExpiredBy: string | undefined, message: string): Promise<void> {
    const endTime = new Date().toISOString();
    for (const status of ACTION_STATUSES.filter((s) => !isTerminal(s))) {
      const to = status === 'cancelling' ? 'cancelled' : 'aborted';
      assertTransition(status, to);
      const patch: ActionRunPatch =
        to === 'aborted'
          ? { status: to, errorCode: 'executor_lost', errorMessage: message, endTime }
          : { status: to, endTime };
      for (const run of await this.store.updateAbandoned(status, patch, leaseExpiredBy)) {
        this.logger.warn(
          `Run ${run.actionUid} of ${run.name} was ${status} with nobody executing it: now ${run.status}.`,
        );
      }
    }
  }
}
