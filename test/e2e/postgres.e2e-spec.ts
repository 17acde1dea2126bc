import { createTestApp, type TestApp } from '../support/app.js';
import { pollAction } from '../support/poll.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

describe('the service on PostgreSQL', () => {
  let database: TestDatabase;
  const apps: TestApp[] = [];

  async function start(): Promise<TestApp> {
    const app = await createTestApp({ env: { DATABASE_URL: database.url, CLUSTER_NODES: '1,2,3' } });
    apps.push(app);
    return app;
  }

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    for (const app of apps.splice(0)) await app.close().catch(() => undefined);
    await database?.drop();
  });

  it('serves a run through to completed, and a second app on the same database reads the same state', async () => {
    const first = await start();
    const started = await first.http
      .post('/v1/cluster/actions/change_master')
      .auth(...first.admin)
      .send({ node_uid: '2' })
      .expect(200);
    await first.http
      .post('/v1/cluster/actions/change_master')
      .auth(...first.admin)
      .send({ node_uid: '3' })
      .expect(409);
    const finished = (await pollAction(first.http, first.admin, 'change_master')).at(-1);
    expect(finished).toMatchObject({
      action_uid: started.body.action_uid,
      status: 'completed',
      progress: 100,
      node_uid: '2',
    });

    // Unlike a SQLite file, the database takes a second process: it sees the run, the users and the topology.
    const second = await start();
    const viewer = await first.userWithRole('cluster_viewer');
    await second.http
      .get('/v1/cluster/actions/change_master')
      .auth(...viewer)
      .expect(200, finished);
    const nodes = {
      '1': { role: 'slave', node_status: 'active' },
      '2': { role: 'master', node_status: 'active' },
      '3': { role: 'slave', node_status: 'active' },
    };
    await first.http
      .get('/v1/nodes/status')
      .auth(...first.admin)
      .expect(200, nodes);
    await second.http
      .get('/v1/nodes/status')
      .auth(...second.admin)
      .expect(200, nodes);

    // DELETE hides the finished run from both; the next run is stored beside it.
    await second.http
      .delete('/v1/cluster/actions/change_master')
      .auth(...second.admin)
      .expect(200);
    await first.http
      .get('/v1/cluster/actions/change_master')
      .auth(...first.admin)
      .expect(404);
    const next = await second.http
      .post('/v1/cluster/actions/change_master')
      .auth(...second.admin)
      .send({ node_uid: '1' })
      .expect(200);
    const last = (await pollAction(second.http, second.admin, 'change_master')).at(-1);
    expect(last).toMatchObject({ action_uid: next.body.action_uid, status: 'completed' });
    await first.http
      .get('/v1/cluster/actions')
      .auth(...first.admin)
      .expect(200, { actions: [last] });
  });

  it.each([
    [
      'a new password',
      (uid: number, app: TestApp) =>
        app.http
          .put(`/v1/users/${uid}`)
          .auth(...app.admin)
          .send({ password: 'a-new-password' }),
    ],
    [
      'a lock',
      (uid: number, app: TestApp) =>
        app.http
          .put(`/v1/users/${uid}`)
          .auth(...app.admin)
          .send({ status: 'locked' }),
    ],
    ['a deletion', (uid: number, app: TestApp) => app.http.delete(`/v1/users/${uid}`).auth(...app.admin)],
  ])(
    '%s made on one replica refuses the old credential on another within half a second',
    async (_case, change) => {
      const [first, second] = [await start(), await start()];
      const email = `replicated-${apps.length}@test.local`;
      const created = await first.http
        .post('/v1/users')
        .auth(...first.admin)
        .send({ email, password: 'the-password', role: 'cluster_viewer' })
        .expect(200);
      // The second replica has verified the credential and holds the user in its cache.
      for (let i = 0; i < 2; i++)
        await second.http.get('/v1/cluster/actions').auth(email, 'the-password').expect(200);
      await change(created.body.uid as number, first).expect(200);
      const changed = Date.now();
      while ((await second.http.get('/v1/cluster/actions').auth(email, 'the-password')).status !== 401) {
        expect(Date.now() - changed).toBeLessThan(500);
      }
    },
  );
});
