import { StartupError } from '../config/startup-error.js';

/** One schema change. Versions count up from 1 without gaps; a released migration is never edited. */
export interface Migration {
  readonly version: number;
  readonly description: string;
  /** One or more statements in the backend's SQL dialect. */
  readonly sql: string;
}

/**
 * What the runner needs from a database. Each backend implements it in a few lines over its own driver
 * (SQLite now, PostgreSQL later), so the rules below are written once.
 */
export interface MigrationTarget {
  /**
   * Runs `work` in one transaction that keeps every other writer (process or replica) out until it ends:
   * commits when `work` resolves, rolls back when it throws.
   */
  transaction(work: () => Promise<void>): Promise<void>;
  /** The highest version applied so far, 0 for an empty database; creates the version table if missing. */
  schemaVersion(): Promise<number>;
  /** Runs the migration's SQL and records its version. */
  apply(migration: Migration): Promise<void>;
}

/** The database was written by a newer release: touching it could damage data that release relies on. */
export class SchemaTooNewError extends StartupError {
  constructor(found: number, known: number) {
    super(
      `The database has schema version ${found}, written by a newer release of cluster-actions; this release ` +
        `knows versions up to ${known}. Run the newer release, or point DATABASE_URL at another database.`,
    );
  }
}

/**
 * Brings the schema up to the last of `migrations` in one transaction: either every missing migration is
 * applied and recorded, or none is. Running it again applies nothing. Returns the versions it applied.
 */
export async function migrate(target: MigrationTarget, migrations: readonly Migration[]): Promise<number[]> {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(
        `Migration '${migration.description}' has version ${migration.version}; expected ${index + 1}.`,
      );
    }
  });
  const applied: number[] = [];
  await target.transaction(async () => {
    const current = await target.schemaVersion();
    if (current > migrations.length) throw new SchemaTooNewError(current, migrations.length);
    for (const migration of migrations.slice(current)) {
      await target.apply(migration);
      applied.push(migration.version);
    }
  });
  return applied;
}
