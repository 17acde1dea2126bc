import type { ActionStatus } from '../../src/actions/action-lifecycle.js';
import type { ActionRun, ActionRunPatch } from '../../src/actions/action-run.js';
import type { RunFence } from '../../src/actions/actions.repository.js';
import { MemoryActionsRepository } from '../../src/storage/memory/memory-actions.repository.js';

/** The in-memory store, with faults on command: the next N updates fail, or the whole store is down. */
export class FlakyActionsRepository extends MemoryActionsRepository {
  /** How many of the next `update` calls fail. */
  failingUpdates = 0;
  /** While true, every call fails. */
  down = false;
  private held?: { readonly status: ActionStatus; readonly released: Promise<void> };

  /** Makes writes that move a run to `status` wait until the returned function is called. */
  holdWritesTo(status: ActionStatus): () => void {
    let release!: () => void;
    this.held = { status, released: new Promise<void>((resolve) => (release = resolve)) };
    return () => {
      this.held = undefined;
      release();
    };
  }

  private check(): void {
    if (this.down) throw new Error('store is down');
  }

  override listLatest(): Promise<ActionRun[]> {
    this.check();
    return super.listLatest();
  }

  override findLatest(name: string): Promise<ActionRun | undefined> {
    this.check();
    return super.findLatest(name);
  }

  override findByUid(actionUid: string): Promise<ActionRun | undefined> {
    this.check();
    return super.findByUid(actionUid);
  }

  override insertUnlessActive(run: ActionRun): Promise<ActionRun | undefined> {
    this.check();
    return super.insertUnlessActive(run);
  }

  override async update(
    actionUid: string,
    expected: ActionStatus,
    patch: ActionRunPatch,
    fence?: RunFence,
  ): Promise<ActionRun | undefined> {
    if (this.held && patch.status === this.held.status) await this.held.released;
    this.check();
    if (this.failingUpdates > 0) {
      this.failingUpdates--;
      throw new Error('update failed');
    }
    return super.update(actionUid, expected, patch, fence);
  }

  override updateAbandoned(
    expected: ActionStatus,
    patch: ActionRunPatch,
    leaseExpiredBy?: string,
  ): Promise<ActionRun[]> {
    this.check();
    return super.updateAbandoned(expected, patch, leaseExpiredBy);
  }

  override hide(actionUid: string, expected: ActionStatus): Promise<boolean> {
    this.check();
    return super.hide(actionUid, expected);
  }
}
