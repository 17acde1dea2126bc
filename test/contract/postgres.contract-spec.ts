import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { ActionRun } from '../../src/actions/action-run.js';
import type { User } from '../../src/auth/user.js';
import { SchemaTooNewError } from '../../src/storage/migration-runner.js';
import { PostgresActionsRepository } from '../../src/storage/postgres/postgres-actions.repository.js';
import {
  migratePostgres,
  openPostgresDatabase,
  postgresPool,
} from '../../src/storage/postgres/postgres-database.js';
import { POSTGRES_MIGRATIONS } from '../../src/storage/postgres/postgres-migrations.js';
import { PostgresNodesRepository } from '../../src/storage/postgres/postgres-nodes.repository.js';
import { PostgresRunEvents } from '../../src/storage/postgres/postgres-run-events.js';
import { PostgresUsersRepository } from '../../src/storage/postgres/postgres-users.repository.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { actionsRepositoryContract, aRun } from './actions-repository.contract.js';
import { nodesRepositoryContract } from './nodes-repository.contract.js';
import { usersRepositoryContract } from './users-repository.contract.js';

// This file's own database, migrated once through the real open; every test starts from empty tables.
let database: TestDatabase;
let pool: pg.Pool;
const options = (url: string) => ({ url, poolSize: 10, statementTimeoutMs: 5000 });

beforeAll(async () => {
  database = await createTestDatabase();
  pool = await openPostgresDatabase(options(database.url));
});

afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

async function open<R>(create: (pool: pg.Pool) => R): Promise<R> {
  await pool.query('TRUNCATE action_runs, users, nodes RESTART IDENTITY');
  return create(pool);
}

// The pool spreads the contract's parallel calls over several connections: races are real ones.
actionsRepositoryContract('postgres', () => open((p) => new PostgresActionsRepository(p)));
nodesRepositoryContract('postgres', () => open((p) => new PostgresNodesRepository(p)));
usersRepositoryContract('postgres', () => open((p) => new PostgresUsersRepository(p)));

describe('PostgreSQL: several replicas on one database', () => {
  /** A second process: its own pool on the same database. */
  let other: pg.Pool;
  beforeAll(() => {
    other = postgresPool(options(database.url));
  });
  afterAll(() => other.end());
  beforeEach(() => pool.query('TRUNCATE action_runs, users, nodes RESTART IDENTITY'));

  it('lets exactly one of many inserts from two pools win, every time', async () => {
    const here = new PostgresActionsRepository(pool);
    const there = new PostgresActionsRepository(other);
    for (let round = 0; round < 10; round++) {
      const results = await Promise.all(
        Array.from({ length: 16 }, (_, index) =>
          (index % 2 ? here : there).insertUnlessActive(aRun({ name: `race_${round}` })),
        ),
      );
      expect(results.filter((run) => run !== undefined)).toHaveLength(1);
    }
  });

  it('keeps one active admin when two admins on two connections demote each other, every time', async () => {
    const here = new PostgresUsersRepository(pool);
    const there = new PostgresUsersRepository(other);
    const admin = (email: string): Omit<User, 'uid'> => ({
      email,
      name: email,
      role: 'admin',
      status: 'active',
      passwordHash: 'h',
      passwordIssueDate: '2026-01-01',
    });
    for (let round = 0; round < 10; round++) {
      await pool.query('TRUNCATE users');
      const one = (await here.insert(admin(`one-${round}@example.com`)))!;
      const two = (await here.insert(admin(`two-${round}@example.com`)))!;
      const results = await Promise.all([here.update(one.uid, { role: 'db_viewer' }), there.delete(two.uid)]);
      expect(results.filter((result) => result === 'last_admin')).toHaveLength(1);
      const admins = (await here.list()).filter((u) => u.role === 'admin' && u.status === 'active');
      expect(admins).toHaveLength(1);
    }
  });

  it('has every replica agree on exactly one master after hand-overs from two pools', async () => {
    const here = new PostgresNodesRepository(pool);
    const there = new PostgresNodesRepository(other);
    const node = (uid: number) => ({ uid, addr: `10.0.0.${uid}`, status: 'active', role: 'slave' }) as const;
    await here.seed([{ ...node(1), role: 'master' }, node(2), node(3)]);
    expect(await there.seed([node(7)])).toBe(false);
    await Promise.all([1, 2, 3, 2, 3, 1].map((uid, index) => (index % 2 ? here : there).setMaster(uid)));
    const masters = (await there.list()).filter((n) => n.role === 'master');
    expect(masters).toHaveLength(1);
    expect(await here.list()).toEqual(await there.list());
  });

  it('has the database cancel a statement that runs longer than the statement timeout', async () => {
    const impatient = postgresPool({ ...options(database.url), statementTimeoutMs: 200 });
    try {
      await expect(impatient.query('SELECT pg_sleep(2)')).rejects.toMatchObject({ code: '57014' });
    } finally {
      await impatient.end();
    }
  });

  it('seeds the nodes once when several replicas start at once, every time', async () => {
    const node = (uid: number) => ({ uid, addr: `10.0.0.${uid}`, status: 'active', role: 'slave' }) as const;
    for (let round = 0; round < 10; round++) {
      await pool.query('TRUNCATE nodes');
      const seeds = await Promise.all(
        [pool, other, pool, other, pool, other].map((p) =>
          new PostgresNodesRepository(p).seed([{ ...node(1), role: 'master' }, node(2)]),
        ),
      );
      expect(seeds.filter(Boolean)).toHaveLength(1);
      expect(await new PostgresNodesRepository(other).list()).toHaveLength(2);
    }
  });
});

describe('PostgreSQL migrations', () => {
  let fresh: TestDatabase;
  beforeEach(async () => {
    fresh = await createTestDatabase();
  });
  afterEach(() => fresh.drop());

  it('applies the migrations exactly once when several replicas start at once', async () => {
    const pools = Array.from({ length: 4 }, () => postgresPool(options(fresh.url)));
    try {
      const applied = await Promise.all(pools.map((p) => migratePostgres(p)));
      const versions = POSTGRES_MIGRATIONS.map((migration) => migration.version);
      expect(applied.filter((list) => list.length > 0)).toEqual([versions]);
      const { rows } = await pools[0].query<{ version: number }>(
        'SELECT version FROM schema_version ORDER BY version',
      );
      expect(rows.map((row) => row.version)).toEqual(versions);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });

  it('refuses a database written by a newer release, and changes nothing', async () => {
    await (await openPostgresDatabase(options(fresh.url))).end();
    const setup = postgresPool(options(fresh.url));
    await setup.query("INSERT INTO schema_version VALUES ($1, 'from the future', now())", [
      POSTGRES_MIGRATIONS.length + 1,
    ]);
    await expect(openPostgresDatabase(options(fresh.url))).rejects.toThrow(SchemaTooNewError);
    await expect(openPostgresDatabase(options(fresh.url))).rejects.toThrow(
      /written by a newer release of cluster-actions.*point DATABASE_URL at another database/,
    );
    const { rows } = await setup.query<{ count: number }>(
      'SELECT COUNT(*)::integer AS count FROM schema_version',
    );
    expect(rows[0]?.count).toBe(POSTGRES_MIGRATIONS.length + 1);
    await setup.end();
  });

  it('refuses a database that does not answer, naming it without its password', async () => {
    const url = 'postgres://someone:secret@127.0.0.1:1/nowhere';
    await expect(openPostgresDatabase(options(url))).rejects.toThrow(
      /^Cannot use the PostgreSQL database postgres:\/\/someone:\*\*\*@127\.0\.0\.1:1\/nowhere: .*Start it/,
    );
  });
});

describe('PostgresRunEvents', () => {
  const opened: PostgresRunEvents[] = [];
  // Cutting connections on purpose: the warnings it logs are expected.
  beforeAll(() => {
    Logger.overrideLogger(false);
  });
  afterEach(async () => {
    for (const events of opened.splice(0)) await events.close();
  });

  async function replica(): Promise<{ events: PostgresRunEvents; seen: ActionRun[] }> {
    const repository = new PostgresActionsRepository(pool);
    const events = new PostgresRunEvents(database.url, pool, (uid) => repository.findByUid(uid));
    await events.start();
    opened.push(events);
    const seen: ActionRun[] = [];
    events.subscribe((run) => seen.push(run));
    return { events, seen };
  }

  const until = async (check: () => boolean): Promise<void> => {
    for (let waited = 0; !check(); waited += 20) {
      if (waited > 5000) throw new Error('not delivered within 5 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  it("delivers a change to this process's subscribers once and to the other replicas' once", async () => {
    const a = await replica();
    const b = await replica();
    const run = aRun({ status: 'running', step: 'sync' });
    a.events.publish(run);
    expect(a.seen).toEqual([run]);
    await until(() => b.seen.length === 1);
    expect(b.seen).toEqual([run]);
    // b's own next change reaches a; a never sees its own announcement come back.
    const next = { ...run, status: 'cancelling' as const };
    b.events.publish(next);
    await until(() => a.seen.length === 2);
    expect(a.seen).toEqual([run, next]);
    expect(b.seen).toEqual([run, next]);
  });

  it('sends a run too large for a notification as its uid, which the receiver reads back', async () => {
    const a = await replica();
    const b = await replica();
    const large = aRun({ params: { blob: 'x'.repeat(10_000) } });
    await new PostgresActionsRepository(pool).insertUnlessActive(large);
    a.events.publish(large);
    await until(() => b.seen.length === 1);
    expect(b.seen).toEqual([large]);
  });

  it('listens again after its connection is cut, and delivers later changes', async () => {
    const a = await replica();
    const b = await replica();
    await pool.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()`,
    );
    const run = aRun({ actionUid: randomUUID() });
    // Until b listens again, its announcements may be lost: publish until one arrives.
    await until(() => {
      a.events.publish(run);
      return b.seen.length > 0;
    });
    expect(b.seen[0]).toEqual(run);
  });
});
