import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { ActionRun } from '../../src/actions/action-run.js';
import { AuthService } from '../../src/auth/auth.service.js';
import { CredentialCache } from '../../src/auth/credential-cache.js';
import { InProcessLoginCounters } from '../../src/auth/login-counters.js';
import { LoginThrottle } from '../../src/auth/login-throttle.js';
import { PasswordHasher } from '../../src/auth/password-hasher.js';
import type { NewUser, User, UserPatch } from '../../src/auth/user.js';
import type { UsersRepository } from '../../src/auth/users.repository.js';
import { AppConfig } from '../../src/config/app-config.js';
import { SchemaTooNewError } from '../../src/storage/migration-runner.js';
import {
  PostgresActionsRepository,
  PRUNE_LOCK,
} from '../../src/storage/postgres/postgres-actions.repository.js';
import {
  migratePostgres,
  openPostgresDatabase,
  postgresPool,
} from '../../src/storage/postgres/postgres-database.js';
import { POSTGRES_MIGRATIONS } from '../../src/storage/postgres/postgres-migrations.js';
import { PostgresNodesRepository } from '../../src/storage/postgres/postgres-nodes.repository.js';
import { PostgresNotifications } from '../../src/storage/postgres/postgres-notifications.js';
import { PostgresRunEvents } from '../../src/storage/postgres/postgres-run-events.js';
import { PostgresUserCache } from '../../src/storage/postgres/postgres-user-cache.js';
import { PostgresUsersRepository } from '../../src/storage/postgres/postgres-users.repository.js';
import { ReplicaStore } from '../../src/cluster/replicas/replica-store.js';
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
  await pool.query('TRUNCATE action_runs, idempotency_keys, users, nodes RESTART IDENTITY');
  return create(pool);
}

// The pool spreads the contract's parallel calls over several connections: races are real ones.
actionsRepositoryContract('postgres', () => open((p) => new PostgresActionsRepository(p)));
nodesRepositoryContract('postgres', () => open((p) => new PostgresNodesRepository(p)));
usersRepositoryContract('postgres', () => open((p) => new PostgresUsersRepository(p)));

/** A replica's users as the service has them: its pool, its own LISTEN connection, users cached. */
async function cachedUsers(
  p: pg.Pool,
): Promise<{ users: PostgresUsersRepository; notifications: PostgresNotifications }> {
  const notifications = new PostgresNotifications(database.url);
  const users = new PostgresUsersRepository(p, new PostgresUserCache(notifications));
  await notifications.start();
  return { users, notifications };
}

const listenersOf = new Map<UsersRepository, PostgresNotifications>();
usersRepositoryContract(
  'postgres, users cached',
  async () => {
    const { users, notifications } = await open(cachedUsers);
    listenersOf.set(users, notifications);
    return users;
  },
  (users) => listenersOf.get(users)!.close(),
);

/** Cuts every LISTEN connection to this file's database, and waits until their backends are gone. */
const terminateListeners = () =>
  pool.query(
    `SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity
     WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()`,
  );

describe('PostgreSQL: several replicas on one database', () => {
  /** A second process: its own pool on the same database. */
  let other: pg.Pool;
  beforeAll(() => {
    other = postgresPool(options(database.url));
  });
  afterAll(() => other.end());
  beforeEach(() => pool.query('TRUNCATE action_runs, idempotency_keys, users, nodes RESTART IDENTITY'));

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
  const opened: { close(): Promise<void> }[] = [];
  // Cutting connections on purpose: the warnings it logs are expected.
  beforeAll(() => {
    Logger.overrideLogger(false);
  });
  afterEach(async () => {
    for (const events of opened.splice(0)) await events.close();
  });

  async function replica(): Promise<{ events: PostgresRunEvents; seen: ActionRun[] }> {
    const repository = new PostgresActionsRepository(pool);
    const notifications = new PostgresNotifications(database.url);
    const events = new PostgresRunEvents(notifications, pool, (uid) => repository.findByUid(uid));
    await notifications.start();
    opened.push(events, notifications);
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
    await terminateListeners();
    const run = aRun({ actionUid: randomUUID() });
    // Until b listens again, its announcements may be lost: publish until one arrives.
    await until(() => {
      a.events.publish(run);
      return b.seen.length > 0;
    });
    expect(b.seen[0]).toEqual(run);
  });
});

describe('PostgreSQL: users cached on several replicas', () => {
  /** The revocation bound the README promises ("within milliseconds"), with room for a loaded machine. */
  const BOUND_MS = 500;
  const EMAIL = 'ops@example.com';
  let other: pg.Pool;
  const opened: PostgresNotifications[] = [];
  beforeAll(() => {
    Logger.overrideLogger(false);
    other = postgresPool(options(database.url));
  });
  afterAll(() => other.end());
  beforeEach(() => pool.query('TRUNCATE action_runs, idempotency_keys, users, nodes RESTART IDENTITY'));
  afterEach(async () => {
    for (const notifications of opened.splice(0)) await notifications.close();
  });

  /** Two replicas: each its own pool and LISTEN connection. */
  async function replicas() {
    const [here, there] = await Promise.all([cachedUsers(pool), cachedUsers(other)]);
    opened.push(here.notifications, there.notifications);
    return { here: here.users, there: there.users, listener: there.notifications };
  }

  const aUser = (overrides: Partial<NewUser> = {}): NewUser => ({
    email: EMAIL,
    name: 'Ops',
    role: 'cluster_member',
    status: 'active',
    passwordHash: 'old-hash',
    passwordIssueDate: '2026-01-01T00:00:00.000Z',
    ...overrides,
  });

  /** Calls `read` until `check` holds, and fails when that takes longer than BOUND_MS. */
  async function within<T>(read: () => Promise<T>, check: (value: T) => boolean): Promise<void> {
    const started = Date.now();
    while (!check(await read())) {
      if (Date.now() - started > BOUND_MS) throw new Error(`not seen within ${BOUND_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  it('answers a repeated lookup from its cache, without a round trip', async () => {
    const { here, there } = await replicas();
    await here.insert(aUser());
    await there.findByEmail(EMAIL);
    // A write behind the service's back (no notification) is not seen: the second lookup did not query.
    await pool.query("UPDATE users SET name = 'changed by hand'");
    expect(await there.findByEmail(EMAIL.toUpperCase())).toMatchObject({ name: 'Ops' });
  });

  it.each<[string, UserPatch | undefined, (user: User | undefined) => boolean]>([
    ['a new password', { passwordHash: 'new-hash' }, (user) => user?.passwordHash === 'new-hash'],
    ['a lock', { status: 'locked' }, (user) => user?.status === 'locked'],
    ['a role change', { role: 'db_viewer' }, (user) => user?.role === 'db_viewer'],
    ['a deletion', undefined, (user) => user === undefined],
  ])('shows %s made through one replica on the other within the bound', async (_case, patch, seen) => {
    const { here, there } = await replicas();
    const user = (await here.insert(aUser()))!;
    await there.findByEmail(EMAIL);
    expect(await there.findByEmail(EMAIL)).toEqual(user);
    await (patch ? here.update(user.uid, patch) : here.delete(user.uid));
    await within(() => there.findByEmail(EMAIL), seen);
    // and on the replica that wrote, at once.
    expect(seen(await here.findByEmail(EMAIL))).toBe(true);
  });

  it("has the other replica's AuthService refuse a changed password despite its credential cache", async () => {
    const { here, there } = await replicas();
    const hasher = new PasswordHasher();
    const auth = new AuthService(
      there,
      hasher,
      new CredentialCache(),
      new LoginThrottle(new AppConfig({}), new InProcessLoginCounters()),
    );
    await auth.onModuleInit();
    const user = (await here.insert(aUser({ passwordHash: await hasher.hash('old-password') })))!;
    const basic = (password: string) => `Basic ${Buffer.from(`${EMAIL}:${password}`).toString('base64')}`;
    await auth.authenticate(basic('old-password'), '127.0.0.1');
    const verified = hasher.verifications;
    await expect(auth.authenticate(basic('old-password'), '127.0.0.1')).resolves.toEqual(user);
    expect(hasher.verifications).toBe(verified);
    await here.update(user.uid, { passwordHash: await hasher.hash('new-password') });
    await within(
      () =>
        auth.authenticate(basic('old-password'), '127.0.0.1').then(
          () => 'accepted',
          () => 'refused',
        ),
      (outcome) => outcome === 'refused',
    );
    await expect(auth.authenticate(basic('new-password'), '127.0.0.1')).resolves.toMatchObject({
      uid: user.uid,
    });
  });

  it('does not cache while it cannot listen: a change made meanwhile is seen at once', async () => {
    const { here, there, listener } = await replicas();
    const user = (await here.insert(aUser()))!;
    await there.findByEmail(EMAIL);
    // The pools keep their open connections; no new one (the LISTEN connection's reconnection) is let in.
    await database.allowConnections(false);
    try {
      await terminateListeners();
      await within(
        () => Promise.resolve(listener.listening),
        (listening) => !listening,
      );
      expect(await there.findByEmail(EMAIL)).toMatchObject({ status: 'active' });
      await here.update(user.uid, { status: 'locked' });
      expect(await there.findByEmail(EMAIL)).toMatchObject({ status: 'locked' });
      await here.update(user.uid, { role: 'db_viewer' });
      expect(await there.findByEmail(EMAIL)).toMatchObject({ status: 'locked', role: 'db_viewer' });
    } finally {
      await database.allowConnections(true);
    }
  });

  it('never serves a stale user while its LISTEN connection is cut, and caches again once it is back', async () => {
    const { here, there, listener } = await replicas();
    const user = (await here.insert(aUser()))!;
    await there.findByEmail(EMAIL);
    await terminateListeners();
    // The notification of this write reaches no one: the other replica must not trust what it cached before.
    await here.update(user.uid, { status: 'locked' });
    const readsUntil = Date.now() + 1000;
    while (Date.now() < readsUntil) {
      expect(await there.findByEmail(EMAIL)).toMatchObject({ status: 'locked' });
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(listener.listening).toBe(true);
    await here.update(user.uid, { status: 'active' });
    await within(
      () => there.findByEmail(EMAIL),
      (seen) => seen?.status === 'active',
    );
  });
});

describe('PostgreSQL history retention: one replica sweeps at a time', () => {
  const limits = { maxRuns: 1, createdBefore: '2000-01-01T00:00:00.000Z', batch: 100 };

  it('skips a sweep while another session holds the sweep lock, and releases its own at commit', async () => {
    const repository = await open((p) => new PostgresActionsRepository(p));
    for (let index = 0; index < 3; index++)
      await repository.insertUnlessActive(aRun({ status: 'completed' }));
    const other = await pool.connect();
    try {
      await other.query('SELECT pg_advisory_lock($1)', [PRUNE_LOCK]);
      expect(await repository.prune(limits)).toBe(0);
      await other.query('SELECT pg_advisory_unlock($1)', [PRUNE_LOCK]);
      expect(await repository.prune(limits)).toBe(2);
      // The sweep held the lock for its transaction only: another session takes it at once.
      const { rows } = await other.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
        PRUNE_LOCK,
      ]);
      expect(rows[0].locked).toBe(true);
      await other.query('SELECT pg_advisory_unlock($1)', [PRUNE_LOCK]);
    } finally {
      other.release();
    }
  });
});

describe('PostgreSQL: coordinator writes fenced by the leader lease', () => {
  const repository = () => new PostgresActionsRepository(pool);
  const claimOf = (ownerId: string) => ({
    ownerId,
    executorNode: 1,
    leaseExpiresAt: new Date(Date.now() + 60_000).toISOString(),
    now: new Date().toISOString(),
    names: ['change_master'],
  });

  beforeEach(async () => {
    // CASCADE empties leader_lease too (it references a node): its one row comes back as migrated.
    await pool.query('TRUNCATE action_runs, replica_nodes RESTART IDENTITY CASCADE');
    await pool.query('INSERT INTO leader_lease DEFAULT VALUES');
    await pool.query(
      "INSERT INTO replica_nodes (addr, state, heartbeat_at, owner_id) VALUES ('a:1', 'active', now(), 'a')",
    );
  });

  const grantLease = (epoch: number, expiresIn: string) =>
    pool.query(
      `UPDATE leader_lease SET node_uid = 1, owner_id = 'a', epoch = $1, expires_at = now() + $2::interval`,
      [epoch, expiresIn],
    );

  it('lands a claim, a sweep and a run write only under the current epoch of an unexpired lease', async () => {
    const queued = aRun();
    await repository().insertUnlessActive(queued);
    await grantLease(7, '1 minute');
    // A former primary (epoch 6) and a lease that ran out write nothing.
    expect(await repository().claimQueued(claimOf('old'), { nodeUid: 1, epoch: 6 })).toEqual([]);
    await grantLease(7, '-1 second');
    expect(await repository().claimQueued(claimOf('late'), { nodeUid: 1, epoch: 7 })).toEqual([]);
    expect(await repository().findByUid(queued.actionUid)).toEqual(queued);

    await grantLease(8, '1 minute');
    const [claimed] = await repository().claimQueued(claimOf('primary'), { nodeUid: 1, epoch: 8 });
    expect(claimed).toMatchObject({ ownerId: 'primary', executorNode: 1 });
    const fence = { ownerId: 'primary', now: new Date().toISOString() };
    const stale = { ...fence, leader: { nodeUid: 1, epoch: 7 } };
    expect(
      await repository().update(queued.actionUid, 'queued', { status: 'starting' }, stale),
    ).toBeUndefined();
    const expired = new Date(Date.now() + 120_000).toISOString();
    const aborted = { status: 'aborted', errorCode: 'executor_lost' } as const;
    expect(await repository().updateAbandoned('queued', aborted, expired, { nodeUid: 1, epoch: 7 })).toEqual(
      [],
    );
    const current = { ...fence, leader: { nodeUid: 1, epoch: 8 } };
    expect(
      await repository().update(queued.actionUid, 'queued', { status: 'starting' }, current),
    ).toMatchObject({
      status: 'starting',
    });
  });
});

describe('PostgreSQL: the replicas registry and leader lease', () => {
  const store = () => new ReplicaStore(pool);
  const LEASE_MS = 60_000;

  beforeEach(async () => {
    await pool.query('TRUNCATE action_runs, replica_nodes RESTART IDENTITY CASCADE');
    await pool.query('INSERT INTO leader_lease DEFAULT VALUES');
  });

  it('keeps a node uid by address across restarts', async () => {
    const a = await store().register('a:1', 'a-first');
    const b = await store().register('b:1', 'b');
    expect(await store().register('a:1', 'a-restarted')).toBe(a);
    expect(b).not.toBe(a);
    expect((await store().list(LEASE_MS)).map(({ uid, addr, status }) => ({ uid, addr, status }))).toEqual([
      { uid: a, addr: 'a:1', status: 'provisioning' },
      { uid: b, addr: 'b:1', status: 'provisioning' },
    ]);
  });

  it('grants one lease: renewed under its epoch, taken by no other process until it runs out', async () => {
    const a = await store().register('a:1', 'a');
    const b = await store().register('b:1', 'b');
    const granted = await store().holdLease(a, 'a', LEASE_MS, true);
    expect(granted).toEqual({ epoch: 1, handoverRun: undefined });
    expect(await store().holdLease(b, 'b', LEASE_MS, true)).toBeUndefined();
    // The same address restarted is another process: it waits as any other node does.
    expect(await store().holdLease(a, 'a-restarted', LEASE_MS, true)).toBeUndefined();
    expect(await store().holdLease(a, 'a', LEASE_MS, false)).toEqual(granted);
    await pool.query("UPDATE leader_lease SET expires_at = now() - interval '1 second'");
    expect(await store().holdLease(b, 'b', LEASE_MS, false)).toBeUndefined();
    expect(await store().holdLease(b, 'b', LEASE_MS, true)).toEqual({ epoch: 2, handoverRun: undefined });
    expect((await store().list(LEASE_MS)).map(({ uid, master }) => ({ uid, master }))).toEqual([
      { uid: a, master: false },
      { uid: b, master: true },
    ]);
  });

  it('transfers the lease and the change_master run only under the current epoch', async () => {
    const a = await store().register('a:1', 'a');
    const b = await store().register('b:1', 'b');
    await store().holdLease(a, 'a', LEASE_MS, true);
    const run = aRun({
      status: 'running',
      ownerId: 'a',
      leaseExpiresAt: new Date(Date.now() + LEASE_MS).toISOString(),
    });
    await new PostgresActionsRepository(pool).insertUnlessActive(run);
    const moved = { actionUid: run.actionUid, leaseExpiresAt: run.leaseExpiresAt! };
    expect(await store().transfer({ nodeUid: a, epoch: 0 }, b, LEASE_MS, moved)).toBe(false);
    expect(await store().transfer({ nodeUid: a, epoch: 1 }, b, LEASE_MS, moved)).toBe(true);
    expect(await new PostgresActionsRepository(pool).findByUid(run.actionUid)).toMatchObject({
      ownerId: 'b',
    });
    // The target adopts it under the epoch the transfer gave, with the run to complete; the old holder has none.
    expect(await store().holdLease(a, 'a', LEASE_MS, true)).toBeUndefined();
    expect(await store().holdLease(b, 'b', LEASE_MS, true)).toEqual({ epoch: 2, handoverRun: run.actionUid });
    expect(await store().transfer({ nodeUid: a, epoch: 1 }, a, LEASE_MS)).toBe(false);
  });
});
