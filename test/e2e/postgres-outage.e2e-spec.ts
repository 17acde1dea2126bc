import { isTerminal, type ActionStatus } from '../../src/actions/action-lifecycle.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { TEST_ACTION, TestActionModule, TestGate } from '../support/test-action.js';

const path = `/v1/cluster/actions/${TEST_ACTION}`;

describe('a PostgreSQL outage', () => {
  let database: TestDatabase;
  let t: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase();
    t = await createTestApp({
      imports: [TestActionModule],
      env: { DATABASE_URL: database.url, ACTION_LEASE_MS: '1000', DATABASE_STATEMENT_TIMEOUT_MS: '1000' },
    });
  });

  afterAll(async () => {
    await t.close();
    await database.drop();
  });

  it('is answered 503 store_unavailable with Retry-After, never a hang; the service recovers by itself', async () => {
    await t.http
      .post(path)
      .auth(...t.admin)
      .send({ ignore_signal: true })
      .expect(200);
    const run = await t.app.get(TestGate).next();

    // The outage: no new connection is accepted, and the open ones are cut.
    await database.allowConnections(false);
    await database.endConnections();
    try {
      for (const route of [path, '/v1/cluster/actions', '/v1/nodes/status']) {
        const started = Date.now();
        const response = await t.http.get(route).auth(...t.admin);
        expect(response.status).toBe(503);
        expect(response.body).toEqual({ error_code: 'store_unavailable', description: expect.any(String) });
        expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
        expect(Date.now() - started).toBeLessThan(3000);
      }
      // The handler finishes while its outcome cannot be recorded: retried, then given up to recovery.
      run.complete();
      await new Promise((resolve) => setTimeout(resolve, 4500));
    } finally {
      await database.allowConnections(true);
    }

    // Back by itself: no restart, and the run that could not record its outcome is not left active.
    let body: { status: string; error_code?: string } | undefined;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const response = await t.http.get(path).auth(...t.admin);
      body = response.body as typeof body;
      if (response.status === 200 && body && isTerminal(body.status as ActionStatus)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(body).toMatchObject({ status: 'aborted', error_code: 'executor_lost' });
    await t.http
      .post(path)
      .auth(...t.admin)
      .send({})
      .expect(200);
  }, 60_000);
});
