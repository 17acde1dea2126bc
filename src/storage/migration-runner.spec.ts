import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, SchemaTooNewError, type Migration } from './migration-runner.js';
import { openSqliteDatabase, sqliteMigrationTarget } from './sqlite/sqlite-database.js';
import { SqliteActionsRepository } from './sqlite/sqlite-actions.repository.js';
import { SQLITE_MIGRATIONS } from './sqlite/sqlite-migrations.js';

const V1: Migration = { version: 1, description: 'a', sql: 'CREATE TABLE a (x INTEGER)' };
const V2: Migration = { version: 2, description: 'b', sql: 'CREATE TABLE b (y INTEGER)' };
const BROKEN: Migration = { version: 3, description: 'broken', sql: 'CREATE TABLE c (z); NOT SQL' };

describe('migrate (on SQLite)', () => {
  let db: Database.Database;
  beforeEach(() => {
    db = new Database(':memory:');
  });
  afterEach(() => db.close());

  const tables = (): string[] =>
    db
      .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all()
      .map((row) => row.name);
  const versions = (): number[] =>
    db
      .prepare<[], { version: number }>('SELECT version FROM schema_version ORDER BY version')
      .all()
      .map((row) => row.version);

  it('applies every migration to an empty database and records each version', async () => {
    expect(await migrate(sqliteMigrationTarget(db), [V1, V2])).toEqual([1, 2]);
    expect(tables()).toEqual(['a', 'b', 'schema_version']);
    expect(versions()).toEqual([1, 2]);
  });

  it('applies nothing when run again, and keeps the data', async () => {
    await migrate(sqliteMigrationTarget(db), [V1, V2]);
    db.exec('INSERT INTO a VALUES (42)');
    expect(await migrate(sqliteMigrationTarget(db), [V1, V2])).toEqual([]);
    expect(db.prepare('SELECT x FROM a').all()).toEqual([{ x: 42 }]);
    expect(versions()).toEqual([1, 2]);
  });

  it('applies only the migrations a database lacks', async () => {
    await migrate(sqliteMigrationTarget(db), [V1]);
    expect(await migrate(sqliteMigrationTarget(db), [V1, V2])).toEqual([2]);
    expect(versions()).toEqual([1, 2]);
  });

  it('refuses a database written by a newer release, and changes nothing', async () => {
    await migrate(sqliteMigrationTarget(db), [V1, V2]);
    const run = migrate(sqliteMigrationTarget(db), [V1]);
    await expect(run).rejects.toThrow(SchemaTooNewError);
    await expect(migrate(sqliteMigrationTarget(db), [V1])).rejects.toThrow(
      /schema version 2, written by a newer release of cluster-actions; this release knows versions up to 1/,
    );
    expect(tables()).toEqual(['a', 'b', 'schema_version']);
    expect(versions()).toEqual([1, 2]);
  });

  it('applies all missing migrations or none: a failing one rolls back the ones before it', async () => {
    // Matched by code: under Jest, better-sqlite3's errors may come from another realm's Error class.
    await expect(migrate(sqliteMigrationTarget(db), [V1, V2, BROKEN])).rejects.toMatchObject({
      code: 'SQLITE_ERROR',
    });
    expect(db.inTransaction).toBe(false);
    expect(tables()).toEqual([]);
  });

  it.each([
    ['a gap', [V1, { ...V2, version: 3 }]],
    ['a duplicate', [V1, { ...V2, version: 1 }]],
    ['a list not starting at 1', [V2]],
  ])('refuses a migration list with %s before touching the database', async (_, migrations) => {
    await expect(migrate(sqliteMigrationTarget(db), migrations)).rejects.toThrow(
      /has version \d+; expected \d+/,
    );
    expect(tables()).toEqual([]);
  });
});

describe('openSqliteDatabase', () => {
  const folder = mkdtempSync(join(tmpdir(), 'cluster-actions-migrations-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('migrates a new file to the latest schema, and opens it again as it is', async () => {
    const file = join(folder, 'fresh.db');
    (await openSqliteDatabase(file)).close();
    const db = await openSqliteDatabase(file);
    const latest = db
      .prepare<[], { version: number }>('SELECT MAX(version) AS version FROM schema_version')
      .get();
    expect(latest?.version).toBe(SQLITE_MIGRATIONS.length);
    db.close();
  });

  it('refuses a file from a newer release with a message for the operator', async () => {
    const file = join(folder, 'newer.db');
    (await openSqliteDatabase(file)).close();
    const db = new Database(file);
    db.prepare("INSERT INTO schema_version VALUES (?, 'from the future', '2030-01-01T00:00:00.000Z')").run(
      SQLITE_MIGRATIONS.length + 1,
    );
    db.close();
    await expect(openSqliteDatabase(file)).rejects.toThrow(
      /written by a newer release of cluster-actions.*Run the newer release, or point DATABASE_URL at another database/,
    );
  });

  it('keeps the runs of a version 2 file when it moves runs to action_uid keys (migration 3)', async () => {
    const file = join(folder, 'v2.db');
    const v2 = new Database(file);
    await migrate(sqliteMigrationTarget(v2), SQLITE_MIGRATIONS.slice(0, 2));
    const insert = v2.prepare(
      `INSERT INTO action_runs (name, action_uid, status, progress, step, params, creation_time, end_time,
         owner_id, lease_expires_at, started_by)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    insert.run(
      'b',
      'uid-b',
      'running',
      40,
      'sync',
      '{"z":1,"a":2}',
      '2026-01-01T00:00:02.000Z',
      null,
      'host:1:x',
      '2026-01-01T00:01:00.000Z',
      'ops@example.com',
    );
    insert.run(
      'a',
      'uid-a',
      'completed',
      100,
      null,
      '{}',
      '2026-01-01T00:00:01.000Z',
      '2026-01-01T00:00:03.000Z',
      null,
      null,
      null,
    );
    v2.close();

    const db = await openSqliteDatabase(file);
    const runs = new SqliteActionsRepository(db);
    const running = {
      actionUid: 'uid-b',
      name: 'b',
      status: 'running' as const,
      progress: 40,
      step: 'sync',
      params: { z: 1, a: 2 },
      creationTime: '2026-01-01T00:00:02.000Z',
      ownerId: 'host:1:x',
      leaseExpiresAt: '2026-01-01T00:01:00.000Z',
      startedBy: 'ops@example.com',
    };
    const completed = {
      actionUid: 'uid-a',
      name: 'a',
      status: 'completed' as const,
      progress: 100,
      params: {},
      creationTime: '2026-01-01T00:00:01.000Z',
      endTime: '2026-01-01T00:00:03.000Z',
    };
    expect(await runs.listLatest()).toStrictEqual([completed, running]);
    // The kept active run still holds its name; the finished one makes way for a new run.
    const next = { ...completed, actionUid: 'uid-a2', status: 'queued' as const, progress: 0 };
    expect(await runs.insertUnlessActive({ ...running, actionUid: 'uid-b2' })).toBeUndefined();
    expect(await runs.insertUnlessActive(next)).toEqual(next);
    expect(await runs.findByUid('uid-a')).toStrictEqual(completed);
    db.close();
  });
});
