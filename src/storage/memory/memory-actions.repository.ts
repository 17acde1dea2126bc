import { Injectable } from '@nestjs/common';
import { isTerminal, type ActionStatus } from '../../actions/action-lifecycle.js';
import type { ActionRun, ActionRunPatch } from '../../actions/action-run.js';
import { claimedFields, closedTimeline, oldestFirst } from '../action-run-columns.js';
import {
  ActionsRepository,
  type HistoryPage,
  type HistoryQuery,
  type IdempotencyKey,
  type KeptIdempotencyKey,
  type KeyedInsert,
  type RetentionLimits,
  type RunClaim,
  type RunFence,
} from '../../actions/actions.repository.js';

/** Neither an email nor a key (visible ASCII) holds a newline. */
const keyId = (owner: string, key: string): string => `${owner}\n${key}`;

const byName = (a: ActionRun, b: ActionRun): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Keeps runs in this process only. Each method runs without an await, so each is atomic. */
@Injectable()
export class MemoryActionsRepository extends ActionsRepository {
  readonly shared = false;
  /** Every run, in insertion order (a Map keeps it): the last one of a name is its latest. */
  private readonly byUid = new Map<string, ActionRun>();
  private readonly latestUid = new Map<string, string>();
  /** Each run's sequence number, as the SQL backends number rows: history pages continue from one. */
  private readonly seqOf = new Map<string, number>();
  private lastSeq = 0;
  /** Idempotency keys by owner and key, with the uid of the run each started. */
  private readonly keys = new Map<string, IdempotencyKey & { readonly actionUid: string }>();

  listLatest(): Promise<ActionRun[]> {
    const latest = [...this.latestUid.values()].map((uid) => this.byUid.get(uid)!);
    // Binary order, as SQL backends sort text by default (a locale would put `a_b` before `a1`).
    return Promise.resolve(latest.filter((run) => !run.hidden).sort(byName));
  }

  findLatest(name: string): Promise<ActionRun | undefined> {
    const run = this.latest(name);
    return Promise.resolve(run?.hidden ? undefined : run);
  }

  findByUid(actionUid: string): Promise<ActionRun | undefined> {
    return Promise.resolve(this.byUid.get(actionUid));
  }

  insertUnlessActive(run: ActionRun): Promise<ActionRun | undefined> {
    return Promise.resolve(this.insert(run));
  }

  findKey(owner: string, key: string, now: string): Promise<KeptIdempotencyKey | undefined> {
    return Promise.resolve(this.kept(owner, key, now));
  }

  insertWithKey(run: ActionRun, key: IdempotencyKey, now: string): Promise<KeyedInsert> {
    const kept = this.kept(key.owner, key.key, now);
    if (kept) return Promise.resolve({ outcome: 'kept', kept });
    if (!this.insert(run)) return Promise.resolve({ outcome: 'active' });
    this.keys.set(keyId(key.owner, key.key), { ...key, actionUid: run.actionUid });
    return Promise.resolve({ outcome: 'inserted', run });
  }

  purgeKeys(now: string): Promise<number> {
    let purged = 0;
    for (const [id, key] of this.keys) {
      if (key.expiresAt <= now && this.keys.delete(id)) purged++;
    }
    return Promise.resolve(purged);
  }

  update(
    actionUid: string,
    expected: ActionStatus,
    patch: ActionRunPatch,
    fence?: RunFence,
  ): Promise<ActionRun | undefined> {
    const current = this.byUid.get(actionUid);
    if (!current || current.status !== expected) return Promise.resolve(undefined);
    if (fence && !(current.ownerId === fence.ownerId && (current.leaseExpiresAt ?? '') > fence.now)) {
      return Promise.resolve(undefined);
    }
    if (patch.cancelledBy !== undefined && current.cancellable === false) return Promise.resolve(undefined);
    return Promise.resolve(this.write(current, patch));
  }

  updateAbandoned(
    expected: ActionStatus,
    patch: ActionRunPatch,
    leaseExpiredBy?: string,
  ): Promise<ActionRun[]> {
    const abandoned = [...this.byUid.values()].filter(
      (run) =>
        run.status === expected &&
        (leaseExpiredBy === undefined ||
          run.leaseExpiresAt === undefined ||
          run.leaseExpiresAt <= leaseExpiredBy),
    );
    return Promise.resolve(
      abandoned.map((run) => {
        const ended = this.write(run, patch);
        const steps = closedTimeline(ended);
        return steps ? this.write(ended, { steps }) : ended;
      }),
    );
  }

  /** One process: always the primary, so there is no leader lease to check. */
  claimQueued(claim: RunClaim): Promise<ActionRun[]> {
    const claimable = [...this.byUid.values()].filter(
      (run) =>
        run.status === 'queued' &&
        claim.names.includes(run.name) &&
        (run.ownerId === undefined || (run.leaseExpiresAt ?? '') <= claim.now),
    );
    return Promise.resolve(oldestFirst(claimable.map((run) => this.write(run, claimedFields(claim)))));
  }

  hide(actionUid: string, expected: ActionStatus): Promise<boolean> {
    const current = this.byUid.get(actionUid);
    if (!current || current.status !== expected || current.hidden) return Promise.resolve(false);
    this.write(current, { hidden: true });
    return Promise.resolve(true);
  }

  history(name: string, query: HistoryQuery): Promise<HistoryPage> {
    const matching = this.newestFirst(name).filter(
      (run) =>
        (query.beforeSeq === undefined || this.seqOf.get(run.actionUid)! < query.beforeSeq) &&
        (query.status === undefined || run.status === query.status) &&
        (query.startedBy === undefined || run.startedBy === query.startedBy) &&
        (query.since === undefined || run.creationTime >= query.since) &&
        (query.until === undefined || run.creationTime < query.until),
    );
    const runs = matching.slice(0, query.limit);
    const more = matching.length > query.limit;
    return Promise.resolve({ runs, nextSeq: more ? this.seqOf.get(runs.at(-1)!.actionUid) : undefined });
  }

  prune({ maxRuns, createdBefore, batch }: RetentionLimits): Promise<number> {
    let deleted = 0;
    for (const name of this.latestUid.keys()) {
      this.newestFirst(name).forEach((run, rank) => {
        if (deleted === batch || rank === 0 || !isTerminal(run.status)) return;
        if (rank < maxRuns && run.creationTime >= createdBefore) return;
        this.byUid.delete(run.actionUid);
        this.seqOf.delete(run.actionUid);
        deleted++;
      });
    }
    return Promise.resolve(deleted);
  }

  private insert(run: ActionRun): ActionRun | undefined {
    const current = this.latest(run.name);
    if (current && !isTerminal(current.status)) return undefined;
    this.byUid.set(run.actionUid, run);
    this.latestUid.set(run.name, run.actionUid);
    this.seqOf.set(run.actionUid, ++this.lastSeq);
    return run;
  }

  private kept(owner: string, key: string, now: string): KeptIdempotencyKey | undefined {
    const stored = this.keys.get(keyId(owner, key));
    if (!stored || stored.expiresAt <= now) return undefined;
    return { requestHash: stored.requestHash, run: this.byUid.get(stored.actionUid) };
  }

  /** The runs of `name`, latest first. */
  private newestFirst(name: string): ActionRun[] {
    return [...this.byUid.values()].filter((run) => run.name === name).reverse();
  }

  private latest(name: string): ActionRun | undefined {
    const uid = this.latestUid.get(name);
    return uid === undefined ? undefined : this.byUid.get(uid);
  }

  private write(run: ActionRun, patch: Partial<ActionRun>): ActionRun {
    const updated: ActionRun = { ...run, ...patch };
    this.byUid.set(run.actionUid, updated);
    return updated;
  }
}
