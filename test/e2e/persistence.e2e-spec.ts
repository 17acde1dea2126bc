import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestApp, type TestApp } from '../support/app.js';
import { pollAction } from '../support/poll.js';

describe('persistence on a SQLite file', () => {
  const folder = mkdtempSync(join(tmpdir(), 'cluster-actions-persistence-'));
  const env = { DATABASE_URL: `sqlite:${join(folder, 'state.db')}`, CLUSTER_NODES: '1,2,3' };
  const apps: TestApp[] = [];

  async function start(extraEnv: Record<string, string> = {}): Promise<TestApp> {
    const app = await createTestApp({ env: { ...env, ...extraEnv } });
    apps.push(app);
    return app;
  }

  afterAll(async () => {
    for (const app of apps.splice(0)) await app.close().catch(() => undefined);
    rmSync(folder, { recursive: true, force: true });
  });

  it('keeps runs, users and the topology across a restart, and lets one app at a time use the file', async () => {
    const first = await start();
    const viewer = await first.userWithRole('cluster_viewer');
    const started = await first.http
      .post('/v1/cluster/actions/change_master')
      .auth(...first.admin)
      .send({ node_uid: '2' })
      .expect(200);
    const finished = (await pollAction(first.http, first.admin, 'change_master')).at(-1);
    expect(finished).toMatchObject({
      action_uid: started.body.action_uid,
      status: 'completed',
      progress: 100,
    });

    await expect(start()).rejects.toThrow(/is in use by another cluster-actions process/);

    await first.close();
    // Different nodes in the environment: ignored, since the file already holds a topology.
    const second = await start({ CLUSTER_NODES: '7,8' });
    const again = await second.http
      .get('/v1/cluster/actions/change_master')
      .auth(...viewer)
      .expect(200);
    expect(again.body).toEqual(finished);
    // The owner and lease of a run are internal: they never reach the wire.
    expect(Object.keys(again.body).filter((key) => /owner|lease/i.test(key))).toEqual([]);
    await second.http
      .get('/v1/nodes/status')
      .auth(...second.admin)
      .expect(200, {
        '1': { role: 'slave', node_status: 'active' },
        '2': { role: 'master', node_status: 'active' },
        '3': { role: 'slave', node_status: 'active' },
      });
  });
});
