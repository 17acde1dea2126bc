import { Logger } from '@nestjs/common';
import pg from 'pg';
import { redactedUrl } from '../../config/app-config.js';
import { StartupError } from '../../config/startup-error.js';
import { migrate, type Migration, type MigrationTarget } from '../migration-runner.js';
import { POSTGRES_MIGRATIONS } from './postgres-migrations.js';

/** What opening a PostgreSQL database needs from the configuration. */
export interface PostgresOptions {
  readonly url: string;
  readonly poolSize: number;
  readonly statementTimeoutMs: number;
}

/** The database did not answer at start-up: nothing can be served without it. */
export class DatabaseUnreachableError extends StartupError {
  constructor(url: string, cause: unknown) {
    super(
      `Cannot use the PostgreSQL database ${redactedUrl(url)}: ${cause instanceof Error ? cause.message : String(cause)}. ` +
        'Start it, or point DATABASE_URL at another database.',
    );
  }
}

/**
 * Every replica takes this lock (transaction-scoped) before it reads the schema version: the first migrates,
 * the others wait, then find the migrations applied. Any fixed number works; it only has to be the same everywhere.
 */
const MIGRATION_LOCK = 7_310_201_904;

/** The migration runner over one connection, holding the migration lock for its transaction. */
export function postgresMigrationTarget(client: pg.ClientBase): MigrationTarget {
  return {
    async transaction(work) {
      await client.query('BEGIN');
      try {
        // A replica waiting for another one's migration, or a long migration, is not a runaway statement.
        await client.query('SET LOCAL statement_timeout = 0');
        await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
        await work();
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    },
    async schemaVersion() {
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_version ' +
          '(version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL)',
      );
      const { rows } = await client.query<{ version: number | null }>(
        'SELECT MAX(version) AS version FROM schema_version',
      );
      return rows[0]?.version ?? 0;
    },
    async apply(migration: Migration) {
      await client.query(migration.sql);
      await client.query(
        'INSERT INTO schema_version (version, description, applied_at) VALUES ($1, $2, now())',
        [migration.version, migration.description],
      );
    },
  };
}

/** Brings the database's schema up to `migrations` over one connection of `pool`; returns the versions applied. */
export async function migratePostgres(
  pool: pg.Pool,
  migrations: readonly Migration[] = POSTGRES_MIGRATIONS,
): Promise<number[]> {
  const client = await pool.connect();
  try {
    return await migrate(postgresMigrationTarget(client), migrations);
  } finally {
    client.release();
  }
}

/** A pool of connections to the database at `options.url`, sized and timed out as configured. */
export function postgresPool(options: PostgresOptions, logger = new Logger('PostgreSQL')): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    // The database cancels a statement that runs longer: a request never waits on it forever.
    statement_timeout: options.statementTimeoutMs,
    // Nor on a connection that cannot be made (a database that does not answer at all).
    connectionTimeoutMillis: options.statementTimeoutMs,
  });
  // An idle connection that breaks (the database restarted, a backend was terminated) is dropped from the pool
  // and replaced on the next query; without a listener the error would end the process.
  pool.on('error', (error) => logger.warn(`An idle database connection failed: ${error.message}`));
  return pool;
}

/** Opens a pool on the database and migrates it (safe when several replicas start at once). */
export async function openPostgresDatabase(options: PostgresOptions): Promise<pg.Pool> {
  const pool = postgresPool(options);
  try {
    await migratePostgres(pool);
    return pool;
  } catch (error) {
    await pool.end();
    // A schema too new says so itself; anything else at this point means the database cannot be used.
    throw error instanceof StartupError ? error : new DatabaseUnreachableError(options.url, error);
  }
}
