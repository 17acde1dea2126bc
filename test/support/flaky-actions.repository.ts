import type { ActionStatus } from '../../src/actions/action-lifecycle.js';
import type { ActionRun, ActionRunPatch } from '../../src/actions/action-run.js';
import type { RunFence } from '../../src/actions/actions.repository.js';
import { MemoryActionsRepository } from '../../src/storage/memory/memory-actions.repository.js';

/** A write held open by `holdWritesTo`. */
export interface HeldWrite {
  /** Resolves once a write to the held status has reached the store (and waits there). */
  readonly reached: Promise<void>;
  /** Lets the held write (and any later one to that status) through. */
  release(): void;
}

/**
 * The in-memory store, with faults on command: chosen writes fail or wait, or the whole store is down.
 * Faults target writes by their patch, so that the session's lease renewals do not use them up.
 */
export class FlakyActionsRepository extends MemoryActionsRepository {
  /** While true, every call fails. */
  down = false;
  /** Every update the store refused, in order (while down, or by `failUpdates`). */
  readonly refusedUpdates: ActionRunPatch[] = [];
  private failing?: { remaining: number; readonly matches: (patch: ActionRunPatch) => boolean };
  private held?: { readonly status: ActionStatus; readonly released: Promise<void>; reach(): void };
  private readonly readers = new Map<string, (() => void)[]>();

  /** Makes the next `count` updates whose patch `matches` fail; other writes go through. */
  failUpdates(count: number, matches: (patch: ActionRunPatch) => boolean): void {
    this.failing = { remaining: count, matches };
  }

  /** Makes writes that move a run to `status` wait until released. */
  holdWritesTo(status: ActionStatus): HeldWrite {
    let release!: () => void;
    let reach!: () => void;
    const reached = new Promise<void>((resolve) => (reach = resolve));
    this.held = { status, released: new Promise<void>((resolve) => (release = resolve)), reach };
    return {
      reached,
      release: () => {
        this.held = undefined;
        release();
      },
    };
  }

  /** Resolves when the run of `name` is next read (e.g. by a DELETE, before it acts on the run). */
  nextRead(name: string): Promise<void> {
    return new Promise((resolve) => this.readers.set(name, [...(this.readers.get(name) ?? []), resolve]));
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
    for (const notify of this.readers.get(name) ?? []) notify();
    this.readers.delete(name);
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
    const held = this.held;
    if (held && patch.status === held.status) {
      held.reach();
      await held.released;
    }
    if (this.refuses(patch)) {
      this.refusedUpdates.push(patch);
      throw new Error('update failed');
    }
    return super.update(actionUid, expected, patch, fence);
  }

  private refuses(patch: ActionRunPatch): boolean {
    if (this.down) return true;
    if (!this.failing?.remaining || !this.failing.matches(patch)) return false;
    this.failing.remaining--;
    return true;
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
