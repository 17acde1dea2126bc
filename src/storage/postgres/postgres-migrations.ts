import type { Migration } from '../migration-runner.js';

/**
 * The PostgreSQL schema, oldest first. Append a new migration for every change; never edit a released one.
 * Its versions are its own: the backend started with the SQLite schema as of SQLite's version 3.
 */
export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'action runs keyed by action_uid, users and nodes',
    sql: `
      CREATE TABLE action_runs (
        action_uid text PRIMARY KEY,
        -- Insertion order: the latest run of a name has the highest.
        seq bigint GENERATED ALWAYS AS IDENTITY,
        -- Binary order, as the other backends sort names.
        name text COLLATE "C" NOT NULL,
        status text NOT NULL,
        progress double precision NOT NULL,
        step text,
        -- json, not jsonb: the parameters are kept as the client gave them (jsonb reorders keys).
        params json NOT NULL,
        error_code text,
        error_message text,
        creation_time timestamptz NOT NULL,
        start_time timestamptz,
        end_time timestamptz,
        started_by text,
        cancelled_by text,
        owner_id text,
        lease_expires_at timestamptz,
        hidden boolean NOT NULL DEFAULT false,
        cancellable boolean NOT NULL DEFAULT true -- false once the handler passed its point of no return
      );
      CREATE INDEX action_runs_latest ON action_runs (name, seq);
      -- At most one active run per name, whichever replica writes.
      CREATE UNIQUE INDEX action_runs_one_active ON action_runs (name)
        WHERE status IN ('queued', 'starting', 'running', 'cancelling');

      CREATE TABLE users (
        uid integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        email text NOT NULL,
        email_key text NOT NULL UNIQUE, -- the email lower-cased: emails are unique whatever their case
        name text NOT NULL,
        role text NOT NULL,
        status text NOT NULL,
        password_hash text NOT NULL,
        password_issue_date text NOT NULL
      );

      CREATE TABLE nodes (
        uid integer PRIMARY KEY,
        addr text NOT NULL,
        status text NOT NULL,
        role text NOT NULL CHECK (role IN ('master', 'slave'))
      );
      -- Never two masters, whatever a write does; zero is prevented by moving the role in one transaction.
      CREATE UNIQUE INDEX nodes_one_master ON nodes (role) WHERE role = 'master';
    `,
  },
  {
    version: 2,
    description: 'login failures counted across replicas',
    // rate-limiter-flexible's RateLimiterPostgres table, but with a text key: a key holds an email of any length.
    sql: `
      CREATE TABLE login_throttle (
        key text PRIMARY KEY,
        points integer NOT NULL DEFAULT 0,
        expire bigint -- epoch milliseconds; the count restarts after it
      );
      -- The library deletes long-expired counts every few minutes.
      CREATE INDEX login_throttle_expire ON login_throttle (expire);
    `,
  },
  {
    version: 3,
    description: "each run's step timeline",
    sql: `ALTER TABLE action_runs ADD COLUMN steps json; -- [{name, status, startTime, endTime}]`,
  },
  {
    version: 4,
    description: 'idempotency keys of starts, per user, kept until they expire',
    sql: `
      CREATE TABLE idempotency_keys (
        owner text NOT NULL, -- the email of the user who sent the key
        key text NOT NULL,
        request_hash text NOT NULL,
        action_uid text NOT NULL, -- the run it started (history retention may delete the run first)
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (owner, key)
      );
      CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);
    `,
  },
  {
    version: 5,
    description: "a run's result, as its handler reported it",
    sql: `ALTER TABLE action_runs ADD COLUMN result json;`,
  },
  {
    version: 6,
    description:
      'the replicas as cluster nodes (CLUSTER_NODES=replicas): registry, leader lease, executor node',
    sql: `
      CREATE TABLE replica_nodes (
        uid integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        addr text NOT NULL UNIQUE, -- NODE_ADDR: a replica restarting at the same address keeps its uid
        state text NOT NULL CHECK (state IN ('provisioning', 'active', 'stopped')),
        heartbeat_at timestamptz NOT NULL, -- the database's clock: replicas' clocks never compared
        owner_id text NOT NULL -- the owner id of the process now at this address (its runs' owner_id)
      );
      -- One row: the primary, its lease (on the database's clock) and the epoch every coordinator write is fenced by.
      CREATE TABLE leader_lease (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        node_uid integer REFERENCES replica_nodes (uid),
        owner_id text, -- the process holding it: a restart at the same address takes a new epoch
        epoch bigint NOT NULL DEFAULT 0,
        expires_at timestamptz NOT NULL DEFAULT '-infinity',
        handover_run text -- the change_master run the new primary completes once it coordinates
      );
      INSERT INTO leader_lease DEFAULT VALUES;
      ALTER TABLE action_runs ADD COLUMN executor_node integer;
    `,
  },
];
