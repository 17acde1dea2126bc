import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ACTION_STATUSES, assertTransition, isTerminal } from './action-lifecycle.js';
import type { ActionRunPatch } from './action-run.js';
import { ActionsRepository } from './actions.repository.js';

const EXECUTOR_LOST =
  'The process executing this run stopped before the run finished; the run was recovered at the next start.';

/**
 * At start-up, before any request is served, ends the runs a dead process left in progress, so that none
 * stays in progress forever and a new run of the same action can start: `cancelling` becomes `cancelled`,
 * any other active status `aborted` with `executor_lost`.
 *
 * Both backends are used by one process at a time (the SQLite file is locked; memory dies with the process),
 * so every active run found here is abandoned. A store shared by replicas would pass the current time as
 * `leaseExpiredBy`, and repeat this periodically, to take only the runs whose owner stopped renewing them.
 */
@Injectable()
export class ActionRecovery implements OnModuleInit {
  private readonly logger = new Logger(ActionRecovery.name);

  constructor(private readonly repository: ActionsRepository) {}

  async onModuleInit(): Promise<void> {
    const endTime = new Date().toISOString();
    for (const status of ACTION_STATUSES.filter((s) => !isTerminal(s))) {
      const to = status === 'cancelling' ? 'cancelled' : 'aborted';
      assertTransition(status, to);
      const patch: ActionRunPatch =
        to === 'aborted'
          ? { status: to, errorCode: 'executor_lost', errorMessage: EXECUTOR_LOST, endTime }
          : { status: to, endTime };
      for (const run of await this.repository.updateAbandoned(status, patch)) {
        this.logger.warn(
          `Run ${run.actionUid} of ${run.name} was ${status} when its process stopped: now ${run.status}.`,
        );
      }
    }
  }
}
