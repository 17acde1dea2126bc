import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { StartupError } from '../../config/startup-error.js';
import { migrate, type Migration, type MigrationTarget } from '../migration-runner.js';
import { SQLITE_MIGRATIONS } from './sqlite-migrations.js';

/** Another process (or another app in this process) has the file open: two writers would corrupt the state. */
export class DatabaseInUseError extends StartupError {
  constructor(path: string) {
    super(
      `The database ${path} is in use by another cluster-actions process; only one process may use a SQLite ` +
        `file at a time. Stop the other process, or point DATABASE_URL at another file.`,
    );
  }
}

/**
 * By its code rather than `instanceof Database.SqliteError`: the native addon builds its errors with the class
 * of the first context that loaded it, which is not this one under Jest's per-file module registries.
 */
function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/** The migration runner over one SQLite connection. */
export function sqliteMigrationTarget(db: Database.Database): MigrationTarget {
  return {
    async transaction(work) {
      // Manual BEGIN/COMMIT: better-sqlite3's db.transaction() cannot wrap async work. Nothing else uses the
      // connection while the schema is migrated at start-up.
      db.exec('BEGIN IMMEDIATE');
      try {
        await work();
        db.exec('COMMIT');
      } catch (error) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw error;
      }
    },
    schemaVersion() {
      db.exec(
        'CREATE TABLE IF NOT EXISTS schema_version ' +
          '(version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)',
      );
      const row = db
        .prepare<[], { version: number | null }>('SELECT MAX(version) AS version FROM schema_version')
        .get();
      return Promise.resolve(row?.version ?? 0);
    },
    apply(migration: Migration) {
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)').run(
        migration.version,
        migration.description,
        new Date().toISOString(),
      );
      return Promise.resolve();
    },
  };
}

/**
 * Opens the SQLite file at `path` (creating it and its folder), locks it for this process, and migrates it.
 *
 * - EXCLUSIVE locking mode plus a write transaction at open takes an OS lock that this connection keeps until
 *   it closes, and that the kernel releases when the process dies, even on SIGKILL. So a second process fails
 *   here at once, and a restart after a crash never waits for a stale lock. (It also keeps WAL's index in
 *   process memory: no -shm file.)
 * - WAL: a crash mid-write leaves the last committed state; synchronous=FULL makes each commit durable across
 *   a power loss too (about 0.4 ms per commit here), which a control plane's records are worth.
 */
export async function openSqliteDatabase(path: string): Promise<Database.Database> {
  mkdirSync(dirname(path), { recursive: true });
  // timeout 0: a file in use is refused at once rather than after waiting for a lock that will not be released.
  const db = new Database(path, { timeout: 0 });
  try {
    db.exec('PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL');
    db.exec('BEGIN IMMEDIATE; COMMIT');
    await migrate(sqliteMigrationTarget(db), SQLITE_MIGRATIONS);
    return db;
  } catch (error) {
    db.close();
    throw isBusy(error) ? new DatabaseInUseError(path) : error;
  }
}
