import type pg from 'pg';
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
import type { LeaderFence } from '../../actions/coordination.js';
import {
  ACTIVE_STATUS_LIST,
  claimedFields,
  oldestFirst,
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
  closedTimeline,
} from '../action-run-columns.js';
import { preparedQuery } from './prepared-query.js';
import { inTransaction } from './postgres-transaction.js';

/**
 * The advisory lock a retention sweep holds for its transaction ("caHR" in ASCII), so that one replica sweeps at
 * a time: the others find it taken and skip their turn rather than queue behind the same deletes.
 */
export const PRUNE_LOCK = 0x63_61_48_52;

type Row = Record<string, unknown>;

/**
 * A condition that holds only while `leader` holds the leader lease (CLUSTER_NODES=replicas), checked on the
 * database's clock by the statement that writes; its two placeholders start at `$first`. Without a leader: true.
 */
function leaderHolds(leader: LeaderFence | undefined, first: number): [sql: string, values: unknown[]] {
  if (!leader) return ['true', []];
  return [
    // FOR SHARE: a hand-over that moves the lease waits for this write to commit, or this write for the hand-over
    // and then sees the new epoch; so no claim or sweep of the old primary lands after the role moved.
    `EXISTS (SELECT 1 FROM leader_lease WHERE node_uid = $${first} AND epoch = $${first + 1}
       AND expires_at > now() FOR SHARE)`,
    [leader.nodeUid, leader.epoch],
  ];
}
const asBoolean = (value: boolean): boolean => value;

// The partial unique index refuses a second active run of the name, across every replica; DO NOTHING turns that
// into no row. A concurrent insert of the same name waits for the first one's outcome.
const INSERT_RUN = `INSERT INTO action_runs (${RUN_COLUMNS.join(', ')})
  VALUES (${RUN_COLUMNS.map((_, index) => `$${index + 1}`).join(', ')})
  ON CONFLICT (name) WHERE status IN (${ACTIVE_STATUS_LIST}) DO NOTHING RETURNING action_uid`;

const KEPT_KEY = keptKeyQuery('$1', '$2', '$3::timestamptz');
/** The key the upsert found kept, whatever its expiry now (it was kept a moment ago). */
const KEPT_KEY_LOCKED = keptKeyQuery('$1', '$2', "'-infinity'");

/**
 * Runs in PostgreSQL: every call is one statement, so one round trip, and each condition (status, owner and
 * lease, one active run per name) is checked by the statement that writes. Two calls are a transaction: a start
 * with an Idempotency-Key (the key and the run written together) and a retention sweep (under its lock).
 */
export class PostgresActionsRepository extends ActionsRepository {
  readonly shared = true;
  constructor(private readonly pool: pg.Pool) {
    super();
  }

  async listLatest(): Promise<ActionRun[]> {
    // A loose index scan over (name, seq): one probe per name for the next name and one for its latest run,
    // so the cost follows the number of action names, not the length of their history.
    const rows = await this.query(
      `WITH RECURSIVE names AS (
         SELECT MIN(name) AS name FROM action_runs
         UNION ALL
         SELECT (SELECT MIN(name) FROM action_runs WHERE name > names.name) FROM names WHERE names.name IS NOT NULL
       )
       SELECT latest.* FROM names CROSS JOIN LATERAL (
         SELECT * FROM action_runs WHERE action_runs.name = names.name ORDER BY seq DESC LIMIT 1
       ) AS latest
       WHERE NOT latest.hidden ORDER BY latest.name`,
    );
    return rows.map(runFromRow);
  }

  async findLatest(name: string): Promise<ActionRun | undefined> {
    const [row] = await this.query('SELECT * FROM action_runs WHERE name = $1 ORDER BY seq DESC LIMIT 1', [
      name,
    ]);
    const run = row && runFromRow(row);
    return run?.hidden ? undefined : run;
  }

  async findByUid(actionUid: string): Promise<ActionRun | undefined> {
    const [row] = await this.query('SELECT * FROM action_runs WHERE action_uid = $1', [actionUid]);
    return row && runFromRow(row);
  }

  async insertUnlessActive(run: ActionRun): Promise<ActionRun | undefined> {
    const rows = await this.query(INSERT_RUN, runValues(run, asBoolean));
    return rows.length === 1 ? run : undefined;
  }

  async findKey(owner: string, key: string, now: string): Promise<KeptIdempotencyKey | undefined> {
    const [row] = await this.query(KEPT_KEY, [owner, key, now]);
    return row && keptKeyFromRow(row);
  }

  insertWithKey(run: ActionRun, key: IdempotencyKey, now: string): Promise<KeyedInsert> {
    return inTransaction(this.pool, async (client) => {
      // The key first: a concurrent start with the same key waits here for this transaction's outcome, then
      // finds the key kept (committed) or stores its own (rolled back or deleted below). An expired key is
      // replaced; a kept one is locked and left as it is (no row returned).
      const claimed = await client.query(
        `INSERT INTO idempotency_keys (${KEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (owner, key) DO UPDATE SET request_hash = excluded.request_hash,
           action_uid = excluded.action_uid, expires_at = excluded.expires_at
         WHERE idempotency_keys.expires_at <= $6 RETURNING key`,
        [...keyValues(key, run.actionUid), now],
      );
      if (claimed.rowCount === 0) {
        // Read committed: this statement sees the row the upsert found, which it keeps locked.
        const { rows } = await client.query<Row>(KEPT_KEY_LOCKED, [key.owner, key.key]);
        return { outcome: 'kept', kept: keptKeyFromRow(rows[0]) };
      }
      const inserted = await client.query(INSERT_RUN, runValues(run, asBoolean));
      if (inserted.rowCount === 1) return { outcome: 'inserted', run };
      // An active run is in the way: the key is not used up (and one it replaced had expired anyway).
      await client.query('DELETE FROM idempotency_keys WHERE owner = $1 AND key = $2', [key.owner, key.key]);
      return { outcome: 'active' };
    });
  }

  async purgeKeys(now: string): Promise<number> {
    const rows = await this.query('DELETE FROM idempotency_keys WHERE expires_at <= $1 RETURNING key', [now]);
    return rows.length;
  }

  async update(
    actionUid: string,
    expected: ActionStatus,
    patch: ActionRunPatch,
    fence?: RunFence,
  ): Promise<ActionRun | undefined> {
    const columns = toColumns(patch, asBoolean);
    const conditions = updateConditions(actionUid, expected, patch, fence, asBoolean);
    const where = conditions
      .map(([column, operator], index) => `${column} ${operator} $${columns.length + index + 1}`)
      .join(' AND ');
    const [leader, leaderParams] = leaderHolds(fence?.leader, columns.length + conditions.length + 1);
    const [row] = await this.query(
      `UPDATE action_runs SET ${setList(columns, (index) => `$${index + 1}`)} WHERE ${where} AND ${leader} RETURNING *`,
      [...columns.map(([, value]) => value), ...conditions.map(([, , value]) => value), ...leaderParams],
    );
    return row && runFromRow(row);
  }

  async updateAbandoned(
    expected: ActionStatus,
    patch: ActionRunPatch,
    leaseExpiredBy?: string,
    leaderFence?: LeaderFence,
  ): Promise<ActionRun[]> {
    const columns = toColumns(patch, asBoolean);
    const next = columns.length;
    const [leader, leaderParams] = leaderHolds(leaderFence, next + 3);
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<Row>(
        `UPDATE action_runs SET ${setList(columns, (index) => `$${index + 1}`)}
         WHERE status = $${next + 1} AND ($${next + 2}::timestamptz IS NULL OR lease_expires_at IS NULL
           OR lease_expires_at <= $${next + 2}::timestamptz) AND ${leader}
         RETURNING *`,
        [...columns.map(([, value]) => value), expected, leaseExpiredBy ?? null, ...leaderParams],
      );
      const runs: ActionRun[] = [];
      for (const run of rows.map(runFromRow)) {
        const steps = closedTimeline(run);
        if (steps) {
          await client.query('UPDATE action_runs SET steps = $1 WHERE action_uid = $2', [
            JSON.stringify(steps),
            run.actionUid,
          ]);
        }
        runs.push(steps ? { ...run, steps } : run);
      }
      return runs;
    });
  }

  async claimQueued(claim: RunClaim, leaderFence?: LeaderFence): Promise<ActionRun[]> {
    const columns = toColumns(claimedFields(claim), asBoolean);
    const next = columns.length;
    const [leader, leaderParams] = leaderHolds(leaderFence, next + 3);
    const rows = await this.query(
      `UPDATE action_runs SET ${setList(columns, (index) => `$${index + 1}`)}
       WHERE status = 'queued' AND (owner_id IS NULL OR lease_expires_at <= $${next + 1}::timestamptz)
         AND name = ANY($${next + 2}::text[]) AND ${leader}
       RETURNING *`,
      [...columns.map(([, value]) => value), claim.now, claim.names, ...leaderParams],
    );
    return oldestFirst(rows.map(runFromRow));
  }

  async hide(actionUid: string, expected: ActionStatus): Promise<boolean> {
    const rows = await this.query(
      'UPDATE action_runs SET hidden = true WHERE action_uid = $1 AND status = $2 AND NOT hidden RETURNING seq',
      [actionUid, expected],
    );
    return rows.length === 1;
  }

  async history(name: string, query: HistoryQuery): Promise<HistoryPage> {
    // Walks the (name, seq) index backwards from the cursor; an absent filter is NULL and matches every row.
    const rows = await this.query(
      `SELECT * FROM action_runs WHERE name = $1 AND seq < $2
         AND ($3::text IS NULL OR status = $3) AND ($4::text IS NULL OR started_by = $4)
         AND ($5::timestamptz IS NULL OR creation_time >= $5) AND ($6::timestamptz IS NULL OR creation_time < $6)
       ORDER BY seq DESC LIMIT $7`,
      [
        name,
        query.beforeSeq ?? Number.MAX_SAFE_INTEGER,
        query.status ?? null,
        query.startedBy ?? null,
        query.since ?? null,
        query.until ?? null,
        query.limit + 1,
      ],
    );
    return historyPage(rows, query.limit);
  }

  prune({ maxRuns, createdBefore, batch }: RetentionLimits, leaderFence?: LeaderFence): Promise<number> {
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_xact_lock($1) AS locked',
        [PRUNE_LOCK],
      );
      if (!rows[0]?.locked) return 0;
      const [leader, leaderParams] = leaderHolds(leaderFence, 4);
      const { rowCount } = await client.query(
        `DELETE FROM action_runs WHERE seq IN (${prunedSeqs('$1', '$2::timestamptz', '$3')}) AND ${leader}`,
        [maxRuns, createdBefore, batch, ...leaderParams],
      );
      return rowCount ?? 0;
    });
  }

  private query(text: string, values: unknown[] = []): Promise<Row[]> {
    return preparedQuery<Row>(this.pool, text, values);
  }
}
