import type Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteActionsRepository } from '../../src/storage/sqlite/sqlite-actions.repository.js';
import { SqliteUsersRepository } from '../../src/storage/sqlite/sqlite-users.repository.js';
import { SqliteNodesRepository } from '../../src/storage/sqlite/sqlite-nodes.repository.js';
import { DatabaseInUseError, openSqliteDatabase } from '../../src/storage/sqlite/sqlite-database.js';
import { actionsRepositoryContract, aRun } from './actions-repository.contract.js';
import { nodesRepositoryContract } from './nodes-repository.contract.js';
import { usersRepositoryContract } from './users-repository.contract.js';

// This test file's own folder; every test opens a fresh database file in it, through the real open + migrate.
const folder = mkdtempSync(join(tmpdir(), 'cluster-actions-contract-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

let files = 0;
/** The connection of the test that is running (Jest runs a file's tests one at a time). */
let db: Database.Database | undefined;

async function open<R>(create: (db: Database.Database) => R): Promise<R> {
  db = await openSqliteDatabase(join(folder, `${++files}.db`));
  return create(db);
}

function close(): Promise<void> {
  db?.close();
  return Promise.resolve();
}

actionsRepositoryContract('sqlite', () => open((c) => new SqliteActionsRepository(c)), close);
nodesRepositoryContract('sqlite', () => open((c) => new SqliteNodesRepository(c)), close);
usersRepositoryContract('sqlite', () => open((c) => new SqliteUsersRepository(c)), close);

describe('SQLite file', () => {
  it('keeps what was written after it is closed and opened again', async () => {
    const file = join(folder, 'reopen.db');
    const run = aRun({ ownerId: 'host:1:abcd', leaseExpiresAt: '2026-01-01T00:00:30.000Z' });
    const first = await openSqliteDatabase(file);
    await new SqliteActionsRepository(first).insertUnlessActive(run);
    first.close();
    const second = await openSqliteDatabase(file);
    expect(await new SqliteActionsRepository(second).findLatest(run.name)).toEqual(run);
    second.close();
  });

  it('refuses a second connection while the first is open, and accepts one after it closed', async () => {
    const file = join(folder, 'locked.db');
    const first = await openSqliteDatabase(file);
    await expect(openSqliteDatabase(file)).rejects.toThrow(DatabaseInUseError);
    await expect(openSqliteDatabase(file)).rejects.toThrow(/is in use by another cluster-actions process/);
    first.close();
    (await openSqliteDatabase(file)).close();
  });

  it('creates the folders of a new file', async () => {
    (await openSqliteDatabase(join(folder, 'a', 'b', 'new.db'))).close();
  });
});
