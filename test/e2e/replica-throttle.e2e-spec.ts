import pg from 'pg';
import { createTestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { BuiltService } from '../support/built-service.js';
import { requireBuild, ServiceProcess } from '../support/service-process.js';

const ADMIN: readonly [string, string] = ['admin@throttle.local', 'throttle-admin-password'];
const USER: readonly [string, string] = ['guessed@throttle.local', 'guessed-user-password'];
/** Not a multiple of the replica count: no replica alone sees the limit. */
const FAILURE_LIMIT = 4;

interface Answer {
  readonly status: number;
  readonly code?: string;
}

async function login(replica: ServiceProcess, credentials: readonly [string, string]): Promise<Answer> {
  const response = await replica.request('GET', '/v1/nodes', undefined, credentials);
  const body = (await response.json()) as { error_code?: string };
  return { status: response.status, code: body.error_code };
}

describe('login throttling across three replicas on one PostgreSQL database', () => {
  let database: TestDatabase;
  let replicas: ServiceProcess[];

  beforeAll(async () => {
    requireBuild();
    database = await createTestDatabase();
    const env = {
      DATABASE_URL: database.url,
      ADMIN_EMAIL: ADMIN[0],
      ADMIN_PASSWORD: ADMIN[1],
      LOGIN_FAILURE_LIMIT: String(FAILURE_LIMIT),
      LOG_LEVEL: 'warn',
      AUDIT_LOG: 'off',
    };
    // One after the other: the first migrates and seeds the admin.
    replicas = [];
    for (let i = 0; i < 3; i++) replicas.push(await ServiceProcess.start(env, ADMIN));
    const created = await replicas[0].request('POST', '/v1/users', {
      email: USER[0],
      password: USER[1],
      role: 'cluster_viewer',
    });
    expect(created.status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await BuiltService.killAll();
    await database.drop();
  });

  it('failed logins spread round-robin over the replicas add up to one limit, then 429 on every replica', async () => {
    for (let i = 0; i < FAILURE_LIMIT; i++) {
      expect(await login(replicas[i % 3], [USER[0], `guess-${i}`])).toEqual({
        status: 401,
        code: 'unauthorized',
      });
    }
    for (const replica of replicas) {
      expect(await login(replica, USER)).toEqual({ status: 429, code: 'too_many_login_failures' });
      expect(await login(replica, [USER[0], 'another-guess'])).toEqual({
        status: 429,
        code: 'too_many_login_failures',
      });
    }
    // Only that client and user: the admin from the same address still gets in everywhere.
    for (const replica of replicas) expect((await login(replica, ADMIN)).status).toBe(200);
  }, 60_000);
});

describe('login throttling while its PostgreSQL table does not answer', () => {
  let database: TestDatabase;

  beforeEach(async () => {
    database = await createTestDatabase();
  });

  afterEach(() => database.drop());

  it('a password check answers 503, bounded by the statement timeout; a cached credential needs no count', async () => {
    const t = await createTestApp({
      env: { DATABASE_URL: database.url, DATABASE_STATEMENT_TIMEOUT_MS: '500' },
    });
    const blocker = new pg.Client({ connectionString: database.url });
    try {
      const [email, password] = await t.userWithRole('cluster_viewer');
      await t.http.get('/v1/nodes').auth(email, password).expect(200); // now cached
      await blocker.connect();
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE login_throttle IN ACCESS EXCLUSIVE MODE');

      const started = performance.now();
      const refused = await t.http.get('/v1/nodes').auth(email, 'a-wrong-password');
      expect(refused.status).toBe(503);
      expect(refused.body).toEqual({
        error_code: 'store_unavailable',
        description: 'The store does not answer.',
      });
      expect(performance.now() - started).toBeLessThan(5000);
      // Checked against the blocks this process knows of, not the table: served while it is locked.
      await t.http.get('/v1/nodes').auth(email, password).expect(200);
    } finally {
      await blocker.end();
      await t.close();
    }
  });
});
