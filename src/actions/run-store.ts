import { Injectable } from '@nestjs/common';
import type { ActionStatus } from './action-lifecycle.js';
import type { ActionRun, ActionRunPatch } from './action-run.js';
import {
  ActionsRepository,
  type IdempotencyKey,
  type KeyedInsert,
  type RunClaim,
  type RunFence,
} from './actions.repository.js';
import type { LeaderFence } from './coordination.js';
import { RunEvents } from './run-events.js';

/** A patch that only renews the lease changes nothing anyone watches. */
const onlyRenewsLease = (patch: ActionRunPatch): boolean =>
  Object.keys(patch).every((field) => field === 'leaseExpiresAt');

/**
 * Every write to a run goes through here: the repository makes it atomic, then the change is published on
 * RunEvents. Reads go to the ActionsRepository directly.
 */
@Injectable()
export class RunStore {
  constructor(
    private readonly repository: ActionsRepository,
    private readonly events: RunEvents,
  ) {}

  async insertUnlessActive(run: ActionRun): Promise<ActionRun | undefined> {
    return this.published(await this.repository.insertUnlessActive(run));
  }

  async insertWithKey(run: ActionRun, key: IdempotencyKey, now: string): Promise<KeyedInsert> {
    const keyed = await this.repository.insertWithKey(run, key, now);
    if (keyed.outcome === 'inserted') this.events.publish(keyed.run);
    return keyed;
  }

  async update(
    actionUid: string,
    expected: ActionStatus,
    patch: ActionRunPatch,
    fence?: RunFence,
  ): Promise<ActionRun | undefined> {
    const updated = await this.repository.update(actionUid, expected, patch, fence);
    return onlyRenewsLease(patch) ? updated : this.published(updated);
  }

  async updateAbandoned(
    expected: ActionStatus,
    patch: ActionRunPatch,
    leaseExpiredBy?: string,
    leader?: LeaderFence,
  ): Promise<ActionRun[]> {
    return this.publishedAll(await this.repository.updateAbandoned(expected, patch, leaseExpiredBy, leader));
  }

  /** The primary's claim: subscribers see which node executes each run. */
  async claimQueued(claim: RunClaim, leader?: LeaderFence): Promise<ActionRun[]> {
    return this.publishedAll(await this.repository.claimQueued(claim, leader));
  }

  /** Hides a finished run's status; subscribers see the run as it was, marked hidden. */
  async hide(run: ActionRun): Promise<boolean> {
    const hidden = await this.repository.hide(run.actionUid, run.status);
    if (hidden) this.events.publish({ ...run, hidden: true });
    return hidden;
  }

  private publishedAll(runs: ActionRun[]): ActionRun[] {
    for (const run of runs) this.events.publish(run);
    return runs;
  }

  private published(run: ActionRun | undefined): ActionRun | undefined {
    if (run) this.events.publish(run);
    return run;
  }
}
