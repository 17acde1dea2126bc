import { Injectable } from '@nestjs/common';
import { instanceToPlain } from 'class-transformer';
import { randomUUID } from 'node:crypto';
import { parseBody } from '../common/parse-body.js';
import { assertTransition, isTerminal } from './action-lifecycle.js';
import { ActionRegistry } from './action-registry.js';
import type { ActionRun } from './action-run.js';
import { ActionRunner } from './action-runner.js';
import { ActionInProgressError, ActionNotFoundError, UnknownActionError } from './actions.errors.js';
import { ActionsRepository } from './actions.repository.js';

/** How often DELETE re-reads a run that changed under it before it gives up with a conflict. */
const CANCEL_ATTEMPTS = 5;

/** Start, cancel, read: the one-instance rule and the replace-on-start rule, over the repository's atomic writes. */
@Injectable()
export class ActionsService {
  constructor(
    private readonly registry: ActionRegistry,
    private readonly repository: ActionsRepository,
    private readonly runner: ActionRunner,
  ) {}

  list(): Promise<ActionRun[]> {
    return this.repository.list();
  }

  async get(name: string): Promise<ActionRun> {
    const run = await this.repository.findByName(name);
    if (!run) throw new ActionNotFoundError(name);
    return run;
  }

  /**
   * Validates the params, lets the handler refuse the request, then stores a `queued` run in place of a
   * finished one. The store refuses atomically while a run of the same name is active (409).
   */
  async start(name: string, body: unknown): Promise<ActionRun> {
    const action = this.registry.get(name);
    if (!action) throw new UnknownActionError(name);
    const params = await parseBody(action.params, body, `parameters of '${name}'`);
    await action.handler.precheck(params);
    const run: ActionRun = {
      actionUid: randomUUID(),
      name,
      status: 'queued',
      progress: 0,
      params: instanceToPlain(params),
      creationTime: new Date().toISOString(),
      ...this.runner.claim(),
    };
    const stored = await this.repository.insertUnlessActive(run);
    if (!stored) throw new ActionInProgressError(name);
    this.runner.launch(stored, action, params);
    return stored;
  }

  /**
   * Cancels an active run or removes a finished run's status, and returns the run as it is afterwards.
   * So a DELETE answering a finished run (other than one it cancelled) has removed that run's status.
   */
  async cancel(name: string): Promise<ActionRun> {
    for (let attempt = 0; attempt < CANCEL_ATTEMPTS; attempt++) {
      const run = await this.get(name);
      if (isTerminal(run.status)) {
        if (await this.repository.remove(run.actionUid, run.status)) return run;
        continue;
      }
      const cancelled = await this.runner.cancel(run.actionUid);
      // A run that finished before the cancel landed is now a finished run: the next round removes it.
      if (cancelled && (!isTerminal(cancelled.status) || cancelled.status === 'cancelled')) return cancelled;
      if (cancelled) continue;
      // No live session here: the run belongs to no running handler, so the store alone records the cancel.
      if (run.status === 'cancelling') return run;
      const to = run.status === 'queued' ? 'cancelled' : 'cancelling';
      assertTransition(run.status, to);
      const updated = await this.repository.update(run.actionUid, run.status, {
        status: to,
        ...(to === 'cancelled' ? { endTime: new Date().toISOString() } : {}),
      });
      if (updated) return updated;
    }
    throw new ActionInProgressError(name);
  }
}
