import type { Migration } from '../migration-runner.js';

/** The SQLite schema, oldest first. Append a new migration for every change; never edit a released one. */
export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'action runs, users and nodes',
    sql: `
      CREATE TABLE action_runs (
        name TEXT PRIMARY KEY,
        action_uid TEXT NOT NULL UNIQUE,
        status TEXT NOT NULL,
        progress REAL NOT NULL,
        step TEXT,
        params TEXT NOT NULL,
        error_code TEXT,
        error_message TEXT,
        creation_time TEXT NOT NULL,
        start_time TEXT,
        end_time TEXT,
        owner_id TEXT,
        lease_expires_at TEXT
      );
      CREATE TABLE users (
        uid INTEGER PRIMARY KEY AUTOINCREMENT,
        email TEXT NOT NULL,
        email_key TEXT NOT NULL UNIQUE, -- the email lower-cased: emails are unique whatever their case
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        status TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        password_issue_date TEXT NOT NULL
      );
      CREATE TABLE nodes (
        uid INTEGER PRIMARY KEY,
        addr TEXT NOT NULL,
        status TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('master', 'slave'))
      );
      -- Never two masters, whatever a write does; zero is prevented by moving the role in one transaction.
      CREATE UNIQUE INDEX nodes_one_master ON nodes (role) WHERE role = 'master';
    `,
  },
  {
    version: 2,
    description: 'who started and who cancelled each run',
    sql: `
      ALTER TABLE action_runs ADD COLUMN started_by TEXT;
      ALTER TABLE action_runs ADD COLUMN cancelled_by TEXT;
    `,
  },
  {
    version: 3,
    description: 'runs keyed by action_uid: history kept, one active run per name, hidden runs, cancellable',
    // SQLite cannot change a primary key in place: the table is rebuilt and its rows copied. Each name had one
    // row so far; they get sequence numbers in creation order.
    sql: `
      CREATE TABLE action_runs_v3 (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, -- insertion order: the latest run of a name has the highest
        action_uid TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        status TEXT NOT NULL,
        progress REAL NOT NULL,
        step TEXT,
        params TEXT NOT NULL,
        error_code TEXT,
        error_message TEXT,
        creation_time TEXT NOT NULL,
        start_time TEXT,
        end_time TEXT,
        owner_id TEXT,
        lease_expires_at TEXT,
        started_by TEXT,
        cancelled_by TEXT,
        hidden INTEGER NOT NULL DEFAULT 0,
        cancellable INTEGER NOT NULL DEFAULT 1 -- 0 once the handler passed its point of no return
      );
      INSERT INTO action_runs_v3 (action_uid, name, status, progress, step, params, error_code, error_message,
          creation_time, start_time, end_time, owner_id, lease_expires_at, started_by, cancelled_by)
        SELECT action_uid, name, status, progress, step, params, error_code, error_message,
          creation_time, start_time, end_time, owner_id, lease_expires_at, started_by, cancelled_by
        FROM action_runs ORDER BY creation_time, name;
      DROP TABLE action_runs;
      ALTER TABLE action_runs_v3 RENAME TO action_runs;
      CREATE INDEX action_runs_latest ON action_runs (name, seq);
      -- At most one active run per name, whoever writes.
      CREATE UNIQUE INDEX action_runs_one_active ON action_runs (name)
        WHERE status IN ('queued', 'starting', 'running', 'cancelling');
    `,
  },
  {
    version: 4,
    description: "each run's step timeline",
    sql: `ALTER TABLE action_runs ADD COLUMN steps TEXT; -- JSON: [{name, status, startTime, endTime}]`,
  },
  {
    version: 5,
    description: 'idempotency keys of starts, per user, kept until they expire',
    sql: `
      CREATE TABLE idempotency_keys (
        owner TEXT NOT NULL, -- the email of the user who sent the key
        key TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        action_uid TEXT NOT NULL, -- the run it started (history retention may delete the run first)
        expires_at TEXT NOT NULL,
        PRIMARY KEY (owner, key)
      );
      CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);
    `,
  },
  {
    version: 6,
    description: "a run's result, as its handler reported it",
    sql: `ALTER TABLE action_runs ADD COLUMN result TEXT; -- JSON object`,
  },
  {
    version: 7,
    description: 'the node that executes a run (set in CLUSTER_NODES=replicas, a PostgreSQL mode)',
    sql: 'ALTER TABLE action_runs ADD COLUMN executor_node INTEGER;',
  },
];
