import { Injectable } from '@nestjs/common';
import type { ActionRun } from './action-run.js';
import { ActionRegistry } from './action-registry.js';
import { ActionRunNotFoundError } from './actions.errors.js';
import { ActionsRepository } from './actions.repository.js';
import { DEFAULT_HISTORY_LIMIT, type HistoryQueryDto } from './dto/history.dto.js';
import { decodeCursor, encodeCursor } from './history-cursor.js';

/** A page of runs, newest first, and the cursor of the next page when there is one. */
export interface HistoryPageOfRuns {
  readonly runs: ActionRun[];
  readonly nextCursor?: string;
}

/** Every run kept, whatever the status routes show: an action type's history, and any run by its uid. */
@Injectable()
export class ActionHistory {
  constructor(
    private readonly registry: ActionRegistry,
    private readonly repository: ActionsRepository,
  ) {}

  /** A page of the runs of the action type `name` (400 `unknown_action` when there is no such type). */
  async page(name: string, query: HistoryQueryDto): Promise<HistoryPageOfRuns> {
    this.registry.require(name);
    const { runs, nextSeq } = await this.repository.history(name, {
      status: query.status,
      startedBy: query.started_by,
      // Stored times are UTC with milliseconds (toISOString): the bounds are compared in the same form.
      since: query.since === undefined ? undefined : new Date(query.since).toISOString(),
      until: query.until === undefined ? undefined : new Date(query.until).toISOString(),
      beforeSeq: query.cursor === undefined ? undefined : decodeCursor(query.cursor),
      limit: query.limit === undefined ? DEFAULT_HISTORY_LIMIT : Number(query.limit),
    });
    return { runs, nextCursor: nextSeq === undefined ? undefined : encodeCursor(nextSeq) };
  }

  /** The run `actionUid`, hidden or not, while the store keeps it; 404 `action_not_found` otherwise. */
  async run(actionUid: string): Promise<ActionRun> {
    const run = await this.repository.findByUid(actionUid);
    if (!run) throw new ActionRunNotFoundError(actionUid);
    return run;
  }
}
