import type Database from 'better-sqlite3';
import { TERMINAL_STATUSES, type ActionStatus } from './action-lifecycle.js';
import type { ActionRun, ActionRunPatch } from './action-run.js';
import { ActionsRepository } from './actions.repository.js';

/** A row of `action_runs`: the run's fields in snake_case, absent ones as NULL, params as JSON. */
interface ActionRunRow {
  name: string;
  action_uid: string;
  status: ActionStatus;
  progress: number;
  step: string | null;
  params: string;
  error_code: string | null;
  error_message: string | null;
  creation_time: string;
  start_time: string | null;
  end_time: string | null;
  owner_id: string | null;
  lease_expires_at: string | null;
  started_by: string | null;
  cancelled_by: string | null;
  /** 1, or 0 once the run passed its point of no return. */
  cancellable: number;
}

const COLUMNS = [
  'name',
  'action_uid',
  'status',
  'progress',
  'step',
  'params',
  'error_code',
  'error_message',
  'creation_time',
  'start_time',
  'end_time',
  'owner_id',
  'lease_expires_at',
  'started_by',
  'cancelled_by',
  'cancellable',
] as const satisfies readonly (keyof ActionRunRow)[];

/** The fields an ActionRunPatch may change, as columns. */
const PATCHABLE = [
  'status',
  'progress',
  'step',
  'error_code',
  'error_message',
  'start_time',
  'end_time',
  'cancelled_by',
  'lease_expires_at',
  'cancellable',
] as const satisfies readonly (keyof ActionRunRow)[];

function toRow(run: ActionRun): ActionRunRow {
  return {
    name: run.name,
    action_uid: run.actionUid,
    status: run.status,
    progress: run.progress,
    step: run.step ?? null,
    params: JSON.stringify(run.params),
    error_code: run.errorCode ?? null,
    error_message: run.errorMessage ?? null,
    creation_time: run.creationTime,
    start_time: run.startTime ?? null,
    end_time: run.endTime ?? null,
    owner_id: run.ownerId ?? null,
    lease_expires_at: run.leaseExpiresAt ?? null,
    started_by: run.startedBy ?? null,
    cancelled_by: run.cancelledBy ?? null,
    cancellable: run.cancellable === false ? 0 : 1,
  };
}

function toRun(row: ActionRunRow): ActionRun {
  const optional = {
    step: row.step,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    startTime: row.start_time,
    endTime: row.end_time,
    ownerId: row.owner_id,
    leaseExpiresAt: row.lease_expires_at,
    startedBy: row.started_by,
    cancelledBy: row.cancelled_by,
  } satisfies Partial<Record<keyof ActionRun, string | null>>;
  return {
    actionUid: row.action_uid,
    name: row.name,
    status: row.status,
    progress: row.progress,
    params: JSON.parse(row.params) as Record<string, unknown>,
    creationTime: row.creation_time,
    // NULL columns are absent fields, as in the memory backend.
    ...Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== null)),
    ...(row.cancellable === 0 && { cancellable: false }),
  };
}

/** Statuses are fixed identifiers from the lifecycle table, so they can be written into the SQL. */
const TERMINAL_LIST = TERMINAL_STATUSES.map((status) => `'${status}'`).join(', ');

/**
 * Runs in SQLite. Each method is one statement or one `db.transaction`, and better-sqlite3 is synchronous,
 * so every read-check-write is atomic.
 */
export class SqliteActionsRepository extends ActionsRepository {
  private readonly selectAll;
  private readonly selectByName;
  private readonly insertOrReplaceFinished;
  private readonly deleteWithStatus;
  private readonly updateTransaction;
  private readonly updateAbandonedTransaction;

  constructor(db: Database.Database) {
    super();
    this.selectAll = db.prepare<[], ActionRunRow>('SELECT * FROM action_runs ORDER BY name');
    this.selectByName = db.prepare<[string], ActionRunRow>('SELECT * FROM action_runs WHERE name = ?');
    // The one-instance rule in one statement: the new run replaces the stored one only if that one finished.
    this.insertOrReplaceFinished = db.prepare<[ActionRunRow]>(
      `INSERT INTO action_runs (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((c) => `@${c}`).join(', ')})
       ON CONFLICT (name) DO UPDATE SET ${COLUMNS.map((c) => `${c} = excluded.${c}`).join(', ')}
       WHERE action_runs.status IN (${TERMINAL_LIST})`,
    );
    this.deleteWithStatus = db.prepare<[string, ActionStatus]>(
      'DELETE FROM action_runs WHERE action_uid = ? AND status = ?',
    );
    const selectByUid = db.prepare<[string], ActionRunRow>('SELECT * FROM action_runs WHERE action_uid = ?');
    const selectAbandoned = db.prepare<{ expected: ActionStatus; by: string | null }, ActionRunRow>(
      `SELECT * FROM action_runs WHERE status = @expected
       AND (@by IS NULL OR lease_expires_at IS NULL OR lease_expires_at <= @by)`,
    );
    const writePatchable = db.prepare<[ActionRunRow]>(
      `UPDATE action_runs SET ${PATCHABLE.map((c) => `${c} = @${c}`).join(', ')} WHERE action_uid = @action_uid`,
    );
    // Called only inside a transaction that has just checked the run's status.
    const write = (run: ActionRun, patch: ActionRunPatch): ActionRun => {
      const updated: ActionRun = { ...run, ...patch };
      writePatchable.run(toRow(updated));
      return updated;
    };
    this.updateTransaction = db.transaction(
      (actionUid: string, expected: ActionStatus, patch: ActionRunPatch): ActionRun | undefined => {
        const row = selectByUid.get(actionUid);
        return row?.status === expected ? write(toRun(row), patch) : undefined;
      },
    );
    this.updateAbandonedTransaction = db.transaction(
      (expected: ActionStatus, patch: ActionRunPatch, leaseExpiredBy: string | undefined): ActionRun[] =>
        selectAbandoned.all({ expected, by: leaseExpiredBy ?? null }).map((row) => write(toRun(row), patch)),
    );
  }

  list(): Promise<ActionRun[]> {
    return Promise.resolve(this.selectAll.all().map(toRun));
  }

  findByName(name: string): Promise<ActionRun | undefined> {
    const row = this.selectByName.get(name);
    return Promise.resolve(row && toRun(row));
  }

  insertUnlessActive(run: ActionRun): Promise<ActionRun | undefined> {
    const { changes } = this.insertOrReplaceFinished.run(toRow(run));
    return Promise.resolve(changes === 1 ? run : undefined);
  }

  update(actionUid: string, expected: ActionStatus, patch: ActionRunPatch): Promise<ActionRun | undefined> {
    return Promise.resolve(this.updateTransaction(actionUid, expected, patch));
  }

  updateAbandoned(
    expected: ActionStatus,
    patch: ActionRunPatch,
    leaseExpiredBy?: string,
  ): Promise<ActionRun[]> {
    return Promise.resolve(this.updateAbandonedTransaction(expected, patch, leaseExpiredBy));
  }

  remove(actionUid: string, expected: ActionStatus): Promise<boolean> {
    return Promise.resolve(this.deleteWithStatus.run(actionUid, expected).changes === 1);
  }
}
