import Database from 'better-sqlite3';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StartupError } from '../../config/startup-error.js';
import { DatabaseUnusableError, openSqliteDatabase } from './sqlite-database.js';

/** The permission bits of `path`, e.g. 0o600. */
const modeOf = (path: string): number => statSync(path).mode & 0o777;

describe('openSqliteDatabase: file permissions', () => {
  let root: string;
  let umask: number;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'cluster-actions-modes-'));
    // The usual umask, under which files are created world-readable unless the code says otherwise.
    umask = process.umask(0o022);
  });

  afterEach(() => {
    process.umask(umask);
    rmSync(root, { recursive: true, force: true });
  });

  it('creates the folders, the database and its WAL owner-only', async () => {
    const file = join(root, 'state', 'deeper', 'ca.db');
    const db = await openSqliteDatabase(file);
    try {
      expect(existsSync(`${file}-wal`)).toBe(true);
      expect(modeOf(file)).toBe(0o600);
      expect(modeOf(`${file}-wal`)).toBe(0o600);
      expect(modeOf(join(root, 'state', 'deeper'))).toBe(0o700);
      expect(modeOf(join(root, 'state'))).toBe(0o700);
    } finally {
      db.close();
    }
  });

  it('makes an existing world-readable database, its WAL and its own folder owner-only', async () => {
    const folder = join(root, 'data');
    const file = join(folder, 'ca.db');
    mkdirSync(folder, 0o755);
    // As an earlier release left them: created with the default modes, WAL still there after a crash.
    const old = new Database(file);
    old.exec('PRAGMA journal_mode = WAL; CREATE TABLE leftover (x INTEGER); INSERT INTO leftover VALUES (1)');
    writeFileSync(`${file}-journal`, '');
    chmodSync(`${file}-journal`, 0o644);
    expect(modeOf(file)).toBe(0o644);
    expect(modeOf(`${file}-wal`)).toBe(0o644);
    old.close();
    writeFileSync(`${file}-wal`, '', { mode: 0o644 });

    const db = await openSqliteDatabase(file);
    try {
      expect(modeOf(file)).toBe(0o600);
      expect(modeOf(`${file}-wal`)).toBe(0o600);
      expect(modeOf(`${file}-journal`)).toBe(0o600);
      expect(modeOf(folder)).toBe(0o700);
      expect(db.prepare('SELECT x FROM leftover').all()).toEqual([{ x: 1 }]);
    } finally {
      db.close();
    }
  });

  it('leaves a shared folder as it is', async () => {
    const shared = join(root, 'var-lib');
    mkdirSync(shared, 0o755);
    writeFileSync(join(shared, 'other-service.conf'), '');
    const db = await openSqliteDatabase(join(shared, 'ca.db'));
    db.close();
    expect(modeOf(shared)).toBe(0o755);
    expect(modeOf(join(shared, 'ca.db'))).toBe(0o600);
  });
});

describe('openSqliteDatabase: a path it cannot use', () => {
  let root: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'cluster-actions-unusable-'));
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it.each([
    [
      'a folder that cannot be created',
      () => '/proc/nope/ca.db',
      /ENOENT: no such file or directory, mkdir '\/proc\/nope'/,
    ],
    ['a folder that is not writable (even by root)', () => '/sys/ca.db', /EACCES: permission denied/],
    [
      'a path under a regular file',
      () => {
        writeFileSync(join(root, 'file'), '');
        return join(root, 'file', 'ca.db');
      },
      /ENOTDIR/,
    ],
    [
      'a file that is not a database',
      () => {
        writeFileSync(join(root, 'notes.db'), 'these are notes, not a database '.repeat(100));
        return join(root, 'notes.db');
      },
      /file is not a database/,
    ],
    ['a folder', () => root, /EISDIR/],
  ])('refuses %s with one line naming the file and DATABASE_URL', async (_, path, reason) => {
    const file = path();
    const opening = openSqliteDatabase(file);
    await expect(opening).rejects.toThrow(DatabaseUnusableError);
    await expect(opening).rejects.toThrow(StartupError);
    const error = (await opening.catch((caught: unknown) => caught)) as Error;
    expect(error.message).toMatch(reason);
    expect(error.message).toContain(`Cannot use the SQLite database ${file}: `);
    expect(error.message).toContain('DATABASE_URL');
    expect(error.message).not.toContain('\n');
  });
});
