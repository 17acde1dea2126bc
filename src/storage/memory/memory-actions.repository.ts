import { Injectable } from '@nestjs/common';
import { isTerminal, type ActionStatus } from '../../actions/action-lifecycle.js';
import type { ActionRun, ActionRunPatch } from '../../actions/action-run.js';
import { ActionsRepository } from '../../actions/actions.repository.js';

/** Keeps runs in this process only. Each method runs without an await, so each is atomic. */
@Injectable()
export class MemoryActionsRepository extends ActionsRepository {
  private readonly byName = new Map<string, ActionRun>();

  list(): Promise<ActionRun[]> {
    // Binary order, as SQL backends sort text by default (a locale would put `a_b` before `a1`).
    const runs = [...this.byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return Promise.resolve(runs);
  }

  findByName(name: string): Promise<ActionRun | undefined> {
    return Promise.resolve(this.byName.get(name));
  }

  insertUnlessActive(run: ActionRun): Promise<ActionRun | undefined> {
    const current = this.byName.get(run.name);
    if (current && !isTerminal(current.status)) return Promise.resolve(undefined);
    this.byName.set(run.name, run);
    return Promise.resolve(run);
  }

  update(actionUid: string, expected: ActionStatus, patch: ActionRunPatch): Promise<ActionRun | undefined> {
    const current = this.findByUid(actionUid);
    if (!current || current.status !== expected) return Promise.resolve(undefined);
    const updated: ActionRun = { ...current, ...patch };
    this.byName.set(updated.name, updated);
    return Promise.resolve(updated);
  }

  updateAbandoned(
    expected: ActionStatus,
    patch: ActionRunPatch,
    leaseExpiredBy?: string,
  ): Promise<ActionRun[]> {
    const abandoned = [...this.byName.values()].filter(
      (run) =>
        run.status === expected &&
        (leaseExpiredBy === undefined ||
          run.leaseExpiresAt === undefined ||
          run.leaseExpiresAt <= leaseExpiredBy),
    );
    const updated = abandoned.map((run): ActionRun => ({ ...run, ...patch }));
    for (const run of updated) this.byName.set(run.name, run);
    return Promise.resolve(updated);
  }

  remove(actionUid: string, expected: ActionStatus): Promise<boolean> {
    const current = this.findByUid(actionUid);
    if (!current || current.status !== expected) return Promise.resolve(false);
    return Promise.resolve(this.byName.delete(current.name));
  }

  private findByUid(actionUid: string): ActionRun | undefined {
    for (const run of this.byName.values()) if (run.actionUid === actionUid) return run;
    return undefined;
  }
}
