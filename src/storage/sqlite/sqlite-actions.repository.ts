import type Database from 'better-sqlite3';
import type { ActionStatus } from '../../actions/action-lifecycle.js';
import type { ActionRun, ActionRunPatch } from '../../actions/action-run.js';
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
import {
  ACTIVE_STATUS_LIST,
  historyPage,
  KEY_COLUMNS,
  keptKeyFromRow,
  keptKeyQuery,
  keyValues,
  prunedSeqs,
  RUN_COLUMNS,
  runFromRow,
  runValues,
  setList,
  toColumns,
  updateConditions,
  claimedFields,
  oldestFirst,
  closedTimeline,
} from '../action-run-columns.js';

type Row = Record<string, unknown>;

interface HistoryParameters {
  name: string;
  beforeSeq: number;
  status: string | null;
  startedBy: string | null;
  since: string | null;
  until: string | null;
  limit: number;
}

/** SQLite has no boolean: `hidden` and `cancellable` are 0 or 1. */
const asInteger = (value: boolean): number => (value ? 1 : 0);

/**
 * Runs in SQLite: each condition (status, owner, lease, one active run per name) is checked by the statement
 * that writes, so every read-check-write is atomic (insertUnlessActive reads first as well, in the same
 * synchronous call).
 */
export class SqliteActionsRepository extends ActionsRepository {
  /** The file is locked by one process. */
  readonly shared = false;
  private readonly selectLatestVisible;
  private readonly selectLatest;
  private readonly selectByUid;
  private readonly hideStatement;
  private readonly insertStatement;
  private readonly selectActive;
  private readonly historyStatement;
  private readonly pruneStatement;
  private readonly selectKeptKey;
  private readonly purgeKeysStatement;
  private readonly insertWithKeyTransaction;
  /** UPDATE statements by the columns they set and whether they are fenced: prepared once each. */
  private readonly updates = new Map<string, Database.Statement<unknown[], Row>>();

  constructor(private readonly db: Database.Database) {
    super();
    // The latest run of each name is found through the (name, seq) index; hidden ones are dropped after.
    this.selectLatestVisible = db.prepare<[], Row>(
      `SELECT * FROM action_runs WHERE seq IN (SELECT MAX(seq) FROM action_runs GROUP BY name)
       AND hidden = 0 ORDER BY name`,
    );
    this.selectLatest = db.prepare<[string], Row>(
      'SELECT * FROM action_runs WHERE name = ? ORDER BY seq DESC LIMIT 1',
    );
    this.selectByUid = db.prepare<[string], Row>('SELECT * FROM action_runs WHERE action_uid = ?');
    // The partial unique index refuses a second active run of the name; DO NOTHING turns that into 0 changes.
    this.insertStatement = db.prepare<unknown[]>(
      `INSERT INTO action_runs (${RUN_COLUMNS.join(', ')}) VALUES (${RUN_COLUMNS.map(() => '?').join(', ')})
       ON CONFLICT (name) WHERE status IN (${ACTIVE_STATUS_LIST}) DO NOTHING`,
    );
    // Read first: an INSERT that DO NOTHING skips still opens a write transaction and commits it, and with
    // synchronous=FULL that is WAL writes and an fsync (measured: 3 ms, the event loop blocked) for every 409.
    this.selectActive = db.prepare<[string], Row>(
      `SELECT 1 FROM action_runs WHERE name = ? AND status IN (${ACTIVE_STATUS_LIST})`,
    );
    this.hideStatement = db.prepare<[string, ActionStatus]>(
      'UPDATE action_runs SET hidden = 1 WHERE action_uid = ? AND status = ? AND hidden = 0',
    );
    // Walks the (name, seq) index backwards from the cursor; an absent filter is NULL and matches every row.
    this.historyStatement = db.prepare<[HistoryParameters], Row>(
      `SELECT * FROM action_runs WHERE name = @name AND seq < @beforeSeq
         AND (@status IS NULL OR status = @status) AND (@startedBy IS NULL OR started_by = @startedBy)
         AND (@since IS NULL OR creation_time >= @since) AND (@until IS NULL OR creation_time < @until)
       ORDER BY seq DESC LIMIT @limit`,
    );
    this.pruneStatement = db.prepare<[RetentionLimits]>(
      `DELETE FROM action_runs WHERE seq IN (${prunedSeqs('@maxRuns', '@createdBefore', '@batch')})`,
    );
    this.selectKeptKey = db.prepare<[string, string, string], Row>(keptKeyQuery('?', '?', '?'));
    this.purgeKeysStatement = db.prepare<[string]>('DELETE FROM idempotency_keys WHERE expires_at <= ?');
    // The transaction holds the write lock of the one connection: nothing runs between the check and the writes.
    // An expired key of the same owner and key is replaced.
    const upsertKey = db.prepare<unknown[]>(
      `INSERT INTO idempotency_keys (${KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (owner, key) DO UPDATE SET request_hash = excluded.request_hash,
         action_uid = excluded.action_uid, expires_at = excluded.expires_at`,
    );
    this.insertWithKeyTransaction = db.transaction(
      (run: ActionRun, key: IdempotencyKey, now: string): KeyedInsert => {
        const kept = this.selectKeptKey.get(key.owner, key.key, now);
        if (kept) return { outcome: 'kept', kept: keptKeyFromRow(kept) };
        // Read first, as insertUnlessActive does: a refused insert would still commit a write.
        if (this.selectActive.get(run.name)) return { outcome: 'active' };
        if (this.insertStatement.run(runValues(run, asInteger)).changes !== 1) return { outcome: 'active' };
        upsertKey.run(keyValues(key, run.actionUid));
        return { outcome: 'inserted', run };
      },
    );
  }

  listLatest(): Promise<ActionRun[]> {
    return Promise.resolve(this.selectLatestVisible.all().map(runFromRow));
  }

  findLatest(name: string): Promise<ActionRun | undefined> {
    const row = this.selectLatest.get(name);
    const run = row && runFromRow(row);
    return Promise.resolve(run?.hidden ? undefined : run);
  }

  findByUid(actionUid: string): Promise<ActionRun | undefined> {
    const row = this.selectByUid.get(actionUid);
    return Promise.resolve(row && runFromRow(row));
  }

  insertUnlessActive(run: ActionRun): Promise<ActionRun | undefined> {
    // Both statements run in this one synchronous call on the only connection to the file: nothing comes between.
    if (this.selectActive.get(run.name)) return Promise.resolve(undefined);
    const { changes } = this.insertStatement.run(runValues(run, asInteger));
    return Promise.resolve(changes === 1 ? run : undefined);
  }

  findKey(owner: string, key: string, now: string): Promise<KeptIdempotencyKey | undefined> {
    const row = this.selectKeptKey.get(owner, key, now);
    return Promise.resolve(row && keptKeyFromRow(row));
  }

  insertWithKey(run: ActionRun, key: IdempotencyKey, now: string): Promise<KeyedInsert> {
    return Promise.resolve(this.insertWithKeyTransaction.immediate(run, key, now));
  }

  purgeKeys(now: string): Promise<number> {
    return Promise.resolve(this.purgeKeysStatement.run(now).changes);
  }

  update(
    actionUid: string,
    expected: ActionStatus,
    patch: ActionRunPatch,
    fence?: RunFence,
  ): Promise<ActionRun | undefined> {
    const columns = toColumns(patch, asInteger);
    const conditions = updateConditions(actionUid, expected, patch, fence, asInteger);
    const row = this.updateStatement(
      columns,
      conditions.map(([column, operator]) => `${column} ${operator} ?`).join(' AND '),
    ).get(...columns.map(([, value]) => value), ...conditions.map(([, , value]) => value));
    return Promise.resolve(row && runFromRow(row));
  }

  updateAbandoned(
    expected: ActionStatus,
    patch: ActionRunPatch,
    leaseExpiredBy?: string,
  ): Promise<ActionRun[]> {
    const columns = toColumns(patch, asInteger);
    const by = leaseExpiredBy ?? null;
    const abandon = this.db.transaction(() =>
      this.updateStatement(
        columns,
        'status = ? AND (? IS NULL OR lease_expires_at IS NULL OR lease_expires_at <= ?)',
      )
        .all(...columns.map(([, value]) => value), expected, by, by)
        .map((row) => {
          const run = runFromRow(row);
          const steps = closedTimeline(run);
          if (!steps) return run;
          const stepColumns = toColumns({ steps }, asInteger);
          return runFromRow(
            this.updateStatement(stepColumns, 'action_uid = ?').get(
              ...stepColumns.map(([, value]) => value),
              run.actionUid,
            )!,
          );
        }),
    );
    return Promise.resolve(abandon());
  }

  /** One process uses the file: it is always the primary, so there is no leader lease to check. */
  claimQueued(claim: RunClaim): Promise<ActionRun[]> {
    const columns = toColumns(claimedFields(claim), asInteger);
    const rows = this.updateStatement(
      columns,
      "status = 'queued' AND (owner_id IS NULL OR lease_expires_at <= ?) AND name IN (SELECT value FROM json_each(?))",
    ).all(...columns.map(([, value]) => value), claim.now, JSON.stringify(claim.names));
    return Promise.resolve(oldestFirst(rows.map(runFromRow)));
  }

  hide(actionUid: string, expected: ActionStatus): Promise<boolean> {
    return Promise.resolve(this.hideStatement.run(actionUid, expected).changes === 1);
  }

  history(name: string, query: HistoryQuery): Promise<HistoryPage> {
    const rows = this.historyStatement.all({
      name,
      beforeSeq: query.beforeSeq ?? Number.MAX_SAFE_INTEGER,
      status: query.status ?? null,
      startedBy: query.startedBy ?? null,
      since: query.since ?? null,
      until: query.until ?? null,
      // One more than the page: whether it exists says whether there is a next page.
      limit: query.limit + 1,
    });
    return Promise.resolve(historyPage(rows, query.limit));
  }

  prune(limits: RetentionLimits): Promise<number> {
    return Promise.resolve(this.pruneStatement.run(limits).changes);
  }

  private updateStatement(
    columns: [string, unknown][],
    condition: string,
  ): Database.Statement<unknown[], Row> {
    const sql = `UPDATE action_runs SET ${setList(columns, () => '?')} WHERE ${condition} RETURNING *`;
    let statement = this.updates.get(sql);
    if (!statement) {
      statement = this.db.prepare<unknown[], Row>(sql);
      this.updates.set(sql, statement);
    }
    return statement;
  }
}
