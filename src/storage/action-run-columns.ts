import { ACTION_STATUSES, isTerminal, type ActionStatus } from '../actions/action-lifecycle.js';
import type { ActionRun, ActionRunPatch } from '../actions/action-run.js';
import { closeTimeline, type RunStep } from '../actions/step-timeline.js';
import type {
  HistoryPage,
  IdempotencyKey,
  KeptIdempotencyKey,
  RunClaim,
  RunFence,
} from '../actions/actions.repository.js';

/** Every field of a run and its column in `action_runs`, in both SQL backends. */
const COLUMN_OF = {
  actionUid: 'action_uid',
  name: 'name',
  status: 'status',
  progress: 'progress',
  step: 'step',
  steps: 'steps',
  params: 'params',
  errorCode: 'error_code',
  errorMessage: 'error_message',
  creationTime: 'creation_time',
  startTime: 'start_time',
  endTime: 'end_time',
  startedBy: 'started_by',
  cancelledBy: 'cancelled_by',
  ownerId: 'owner_id',
  leaseExpiresAt: 'lease_expires_at',
  executorNode: 'executor_node',
  hidden: 'hidden',
  cancellable: 'cancellable',
  result: 'result',
} as const satisfies Record<keyof ActionRun, string>;

type RunField = keyof typeof COLUMN_OF;
const FIELDS = Object.keys(COLUMN_OF) as RunField[];

/**
 * The active statuses as an SQL list. The partial unique index that allows one active run per name is declared
 * with this very list in each backend's migration, so that `ON CONFLICT (name) WHERE ...` can name it.
 */
export const ACTIVE_STATUS_LIST = ACTION_STATUSES.filter((status) => !isTerminal(status))
  .map((status) => `'${status}'`)
  .join(', ');

/**
 * The given fields of a run as `[column, value]` pairs for a write: an absent field (or one set to undefined)
 * is NULL, params, steps and result are JSON text, and the flags `hidden` and `cancellable` are what the backend stores for a
 * boolean (`cancellable` is true unless the run says false).
 */
export function toColumns(
  fields: Partial<ActionRun>,
  boolean: (value: boolean) => unknown,
): [column: string, value: unknown][] {
  return (Object.keys(fields) as RunField[])
    .filter((field) => field in COLUMN_OF)
    .map((field) => {
      const value = fields[field];
      if (field === 'params' || field === 'steps' || field === 'result') {
        return [COLUMN_OF[field], value === undefined ? null : JSON.stringify(value)];
      }
      if (field === 'hidden') return [COLUMN_OF[field], boolean(value === true)];
      if (field === 'cancellable') return [COLUMN_OF[field], boolean(value !== false)];
      return [COLUMN_OF[field], value ?? null];
    });
}

/**
 * A stored row as a run, the same from every backend: NULL columns and a false `hidden` are absent fields,
 * timestamps ISO strings (PostgreSQL gives Dates), params, steps and result parsed (SQLite gives JSON text).
 */
/** The timeline of a run `updateAbandoned` ended, closed by its end; `undefined` when nothing is left open. */
export function closedTimeline(run: ActionRun): RunStep[] | undefined {
  return run.endTime === undefined ? undefined : closeTimeline(run.steps, run.status, run.endTime);
}

export function runFromRow(row: Readonly<Record<string, unknown>>): ActionRun {
  const run: Record<string, unknown> = {};
  for (const field of FIELDS) {
    const value = row[COLUMN_OF[field]];
    if (value === null || value === undefined) continue;
    if (field === 'hidden') {
      if (value === true || value === 1) run.hidden = true;
    } else if (field === 'cancellable') {
      if (value === false || value === 0) run.cancellable = false;
    } else if (field === 'params' || field === 'steps' || field === 'result') {
      run[field] = typeof value === 'string' ? JSON.parse(value) : value;
    } else {
      run[field] = value instanceof Date ? value.toISOString() : value;
    }
  }
  return run as unknown as ActionRun;
}

/**
 * A history page from the rows of a query asked for `limit + 1` rows, newest first: the extra row only says
 * that there is a next page, which continues below the last row shown. (PostgreSQL gives a bigint as a string.)
 */
export function historyPage(rows: readonly Readonly<Record<string, unknown>>[], limit: number): HistoryPage {
  const shown = rows.slice(0, limit);
  return {
    runs: shown.map(runFromRow),
    nextSeq: rows.length > limit ? Number(shown.at(-1)!.seq) : undefined,
  };
}

/**
 * The sequence numbers of the runs a retention sweep deletes, in both SQL backends (the placeholders are the
 * backend's for the maximum count per name, the creation time before which a run is too old and the most rows to
 * delete): finished runs ranked beyond the count within their name, or created before that time; never a name's
 * latest (rank 1).
 */
export function prunedSeqs(maxRuns: string, createdBefore: string, batch: string): string {
  return `SELECT seq FROM (
      SELECT seq, status, creation_time, ROW_NUMBER() OVER (PARTITION BY name ORDER BY seq DESC) AS rank
      FROM action_runs
    ) AS ranked
    WHERE rank > 1 AND status NOT IN (${ACTIVE_STATUS_LIST})
      AND (rank > ${maxRuns} OR creation_time < ${createdBefore})
    LIMIT ${batch}`;
}

/** Every column of `action_runs` but `seq`, in the order of `runValues`. */
export const RUN_COLUMNS: readonly string[] = FIELDS.map((field) => COLUMN_OF[field]);

/** Every column of a new run, in the order of RUN_COLUMNS, for an INSERT. */
export function runValues(run: ActionRun, boolean: (value: boolean) => unknown): unknown[] {
  return toColumns(Object.fromEntries(FIELDS.map((field) => [field, run[field]])), boolean).map(
    ([, value]) => value,
  );
}

/** The SET list of an UPDATE writing `columns` from the placeholders `placeholder(0)`, `placeholder(1)`, ... */
export function setList(
  columns: readonly [string, unknown][],
  placeholder: (index: number) => string,
): string {
  // An empty patch changes nothing, but the statement still checks its conditions and returns the run.
  if (columns.length === 0) return 'status = status';
  return columns.map(([column], index) => `${column} = ${placeholder(index)}`).join(', ');
}

type UpdateCondition = [column: string, operator: '=' | '>', value: unknown];

/**
 * The conditions of `ActionsRepository.update`, as `[column, operator, value]` for each backend to write with its
 * own placeholders: the expected status; with a fence, the owner and an unexpired lease; for a patch that records
 * a cancel, a run still cancellable (`boolean` is what the backend stores for true).
 */
export function updateConditions(
  actionUid: string,
  expected: ActionStatus,
  patch: ActionRunPatch,
  fence: RunFence | undefined,
  boolean: (value: boolean) => unknown,
): UpdateCondition[] {
  const conditions: UpdateCondition[] = [
    ['action_uid', '=', actionUid],
    ['status', '=', expected],
  ];
  if (fence) conditions.push(['owner_id', '=', fence.ownerId], ['lease_expires_at', '>', fence.now]);
  if (patch.cancelledBy !== undefined) conditions.push(['cancellable', '=', boolean(true)]);
  return conditions;
}

/** What claiming a queued run writes, in every backend. */
export const claimedFields = ({ ownerId, executorNode, leaseExpiresAt }: RunClaim): Partial<ActionRun> => ({
  ownerId,
  executorNode,
  leaseExpiresAt,
});

/** Runs in the order they were created: the order a primary starts the runs it claimed. */
export const oldestFirst = (runs: ActionRun[]): ActionRun[] =>
  runs.sort((a, b) => (a.creationTime < b.creationTime ? -1 : a.creationTime > b.creationTime ? 1 : 0));

/**
 * The key of `owner` unless it expired by `now` (the placeholders are the backend's), with every column of the
 * run it started: NULL when history retention deleted that run.
 */
export function keptKeyQuery(owner: string, key: string, now: string): string {
  return `SELECT k.request_hash, r.* FROM idempotency_keys AS k
    LEFT JOIN action_runs AS r ON r.action_uid = k.action_uid
    WHERE k.owner = ${owner} AND k.key = ${key} AND k.expires_at > ${now}`;
}

/** A row of `keptKeyQuery` as a kept key. */
export function keptKeyFromRow(row: Readonly<Record<string, unknown>>): KeptIdempotencyKey {
  return {
    requestHash: row.request_hash as string,
    run: row.action_uid === null ? undefined : runFromRow(row),
  };
}

/** The columns of `idempotency_keys` a start writes, in the order of `keyValues`. */
export const KEY_COLUMNS = 'owner, key, request_hash, action_uid, expires_at';

export function keyValues(key: IdempotencyKey, actionUid: string): unknown[] {
  return [key.owner, key.key, key.requestHash, actionUid, key.expiresAt];
}
