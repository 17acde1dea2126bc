import Database from 'better-sqlite3';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
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

/** The file cannot be created, opened or locked for a reason the operator must fix (path, permissions, content). */
export class DatabaseUnusableError extends StartupError {
  constructor(path: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      `Cannot use the SQLite database ${path}: ${reason}. Fix the file or its folder (it must be creatable and ` +
        `writable by this user), or point DATABASE_URL at another file.`,
    );
  }
}

/** The database holds password hashes: its files are the owner's alone, whatever the umask. */
const OWNER_ONLY_FILE = 0o600;
const OWNER_ONLY_FOLDER = 0o700;

/** The files SQLite keeps for a database: the file itself, its WAL, its rollback journal, its shared memory. */
function databaseFiles(path: string): string[] {
  return ['', '-wal', '-journal', '-shm'].map((suffix) => path + suffix);
}

function restrict(path: string, mode: number): void {
  if ((statSync(path).mode & 0o777) !== mode) chmodSync(path, mode);
}

/**
 * Creates the missing folders owner-only, one level at a time (mkdirSync's `recursive` option never returns on
 * Node 20 for a path under /proc), then the file itself owner-only: SQLite gives its WAL and journal the mode of
 * the database file. Opening the file for appending also proves it writable before SQLite touches it.
 */
function create(path: string): void {
  const missing: string[] = [];
  for (let folder = dirname(path); !existsSync(folder); folder = dirname(folder)) missing.unshift(folder);
  for (const folder of missing) {
    mkdirSync(folder, OWNER_ONLY_FOLDER);
    restrict(folder, OWNER_ONLY_FOLDER);
  }
  closeSync(openSync(path, 'a', OWNER_ONLY_FILE));
}

/**
 * Makes owner-only what an earlier release left world-readable, once the file is known to be this service's
 * database: the file, its WAL and journal, and its folder when the folder holds nothing else (a shared folder
 * such as /var/lib is left as it is).
 */
function restrictExisting(path: string): void {
  const files = databaseFiles(path);
  for (const file of files) if (existsSync(file)) restrict(file, OWNER_ONLY_FILE);
  const own = new Set(files.map((file) => basename(file)));
  if (readdirSync(dirname(path)).every((name) => own.has(name))) restrict(dirname(path), OWNER_ONLY_FOLDER);
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
  const db = openExclusively(path);
  try {
    await migrate(sqliteMigrationTarget(db), SQLITE_MIGRATIONS);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Every failure here is the environment's (path, permissions, a file that is not a database, another process). */
function openExclusively(path: string): Database.Database {
  let db: Database.Database | undefined;
  try {
    create(path);
    // timeout 0: a file in use is refused at once rather than after waiting for a lock that will not be released.
    db = new Database(path, { timeout: 0 });
    db.exec('PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL');
    db.exec('BEGIN IMMEDIATE; COMMIT');
    restrictExisting(path);
    return db;
  } catch (error) {
    db?.close();
    throw isBusy(error) ? new DatabaseInUseError(path) : new DatabaseUnusableError(path, error);
  }
}
