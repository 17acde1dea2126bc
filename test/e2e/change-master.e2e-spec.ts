import { createTestApp, type TestApp } from '../support/app.js';
import { pollAction } from '../support/poll.js';

const path = '/v1/cluster/actions/change_master';

describe('change_master and the nodes API', () => {
  let t: TestApp;

  afterEach(() => t.close());

  async function masters(): Promise<string[]> {
    const response = await t.http
      .get('/v1/nodes/status')
      .auth(...t.admin)
      .expect(200);
    const status = response.body as Record<string, { role: string }>;
    return Object.entries(status)
      .filter(([, node]) => node.role === 'master')
      .map(([uid]) => uid);
  }

  describe('on a healthy three-node cluster', () => {
    beforeEach(async () => {
      t = await createTestApp({ env: { CLUSTER_NODES: '1,2,3', CHANGE_MASTER_STEP_MS: '30' } });
    });

    it('lists the nodes and their roles, the first active node being master', async () => {
      await t.http
        .get('/v1/nodes')
        .auth(...t.admin)
        .expect(200, [
          { uid: 1, addr: 'node1.cluster.local', status: 'active' },
          { uid: 2, addr: 'node2.cluster.local', status: 'active' },
          { uid: 3, addr: 'node3.cluster.local', status: 'active' },
        ]);
      await t.http
        .get('/v1/nodes/2')
        .auth(...t.admin)
        .expect(200, { uid: 2, addr: 'node2.cluster.local', status: 'active' });
      await t.http
        .get('/v1/nodes/status')
        .auth(...t.admin)
        .expect(200, {
          '1': { role: 'master', node_status: 'active' },
          '2': { role: 'slave', node_status: 'active' },
          '3': { role: 'slave', node_status: 'active' },
        });
    });

    it.each(['9', '0', 'abc', '1.5', '%20', 'x'.repeat(300)])(
      'is 404 node_not_found for node %s',
      async (uid) => {
        const response = await t.http
          .get(`/v1/nodes/${uid}`)
          .auth(...t.admin)
          .expect(404);
        expect(response.body.error_code).toBe('node_not_found');
        expect(response.body.description.length).toBeLessThan(100);
      },
    );

    it('promotes the node: queued -> running with per-step progress -> completed', async () => {
      const started = await t.http
        .post(path)
        .auth(...t.admin)
        .send({ node_uid: '2' })
        .expect(200);
      expect(started.body).toMatchObject({
        name: 'change_master',
        node_uid: '2',
        status: 'queued',
        progress: 0,
      });
      const seen = await pollAction(t.http, t.admin, 'change_master');
      expect(seen.at(-1)).toMatchObject({ status: 'completed', progress: 100, node_uid: '2' });
      const progressWhileRunning = seen
        .filter((body) => body.status === 'running')
        .map((body) => body.progress);
      expect(new Set(progressWhileRunning).size).toBeGreaterThan(1);
      expect(await masters()).toEqual(['2']);
    });

    it('keeps exactly one master at every moment of a run', async () => {
      await t.http
        .post(path)
        .auth(...t.admin)
        .send({ node_uid: '3' })
        .expect(200);
      for (;;) {
        expect(await masters()).toHaveLength(1);
        const run = await t.http
          .get(path)
          .auth(...t.admin)
          .expect(200);
        if (run.body.status === 'completed') break;
      }
      expect(await masters()).toEqual(['3']);
    });

    it('completes at once as a no-op when the node already is master', async () => {
      await t.http
        .post(path)
        .auth(...t.admin)
        .send({ node_uid: '1' })
        .expect(200);
      const seen = await pollAction(t.http, t.admin, 'change_master', undefined, 1000);
      expect(seen.at(-1)).toMatchObject({ status: 'completed', progress: 100 });
      expect(await masters()).toEqual(['1']);
    });

    it('leaves the old master in place when cancelled mid-run', async () => {
      await t.http
        .post(path)
        .auth(...t.admin)
        .send({ node_uid: '2' })
        .expect(200);
      await pollAction(t.http, t.admin, 'change_master', (body) => body.status === 'running');
      const cancel = await t.http
        .delete(path)
        .auth(...t.admin)
        .expect(200);
      expect(['cancelling', 'cancelled']).toContain(cancel.body.status);
      const seen = await pollAction(t.http, t.admin, 'change_master');
      expect(seen.at(-1)!.status).toBe('cancelled');
      expect(await masters()).toEqual(['1']);
    });

    it('is 404 node_not_found for a node that does not exist, and starts nothing', async () => {
      await t.http
        .post(path)
        .auth(...t.admin)
        .send({ node_uid: '7' })
        .expect(404, { error_code: 'node_not_found', description: 'Node 7 does not exist.' });
      await t.http
        .get(path)
        .auth(...t.admin)
        .expect(404);
    });

    it.each([
      ['a missing node_uid', {}],
      ['a numeric node_uid', { node_uid: 2 }],
      ['an empty node_uid', { node_uid: '' }],
      ['a non-numeric node_uid', { node_uid: 'two' }],
      ['an extra field', { node_uid: '2', force: true }],
    ])('is 400 invalid_request naming node_uid for %s', async (_case, body) => {
      const response = await t.http
        .post(path)
        .auth(...t.admin)
        .send(body)
        .expect(400);
      expect(response.body.error_code).toBe('invalid_request');
      expect(response.body.description).toMatch(/node_uid|force/);
    });

    it('is 409 while a change_master is running', async () => {
      await t.http
        .post(path)
        .auth(...t.admin)
        .send({ node_uid: '2' })
        .expect(200);
      const conflict = await t.http
        .post(path)
        .auth(...t.admin)
        .send({ node_uid: '3' })
        .expect(409);
      expect(conflict.body.error_code).toBe('action_in_progress');
      await pollAction(t.http, t.admin, 'change_master');
      expect(await masters()).toEqual(['2']);
    });
  });

  describe('with nodes that are not active', () => {
    beforeEach(async () => {
      t = await createTestApp({ env: { CLUSTER_NODES: '1:down,2,3:provisioning,4:decommissioning' } });
    });

    it('makes the first active node master', async () => {
      expect(await masters()).toEqual(['2']);
    });

    it.each([
      ['1', 'down'],
      ['3', 'provisioning'],
      ['4', 'decommissioning'],
    ])('is 406 node_not_active for node %s (%s)', async (uid, status) => {
      await t.http
        .post(path)
        .auth(...t.admin)
        .send({ node_uid: uid })
        .expect(406, { error_code: 'node_not_active', description: `Node ${uid} is ${status}, not active.` });
      await t.http
        .get(path)
        .auth(...t.admin)
        .expect(404);
    });
  });

  describe('with CHANGE_MASTER_TIMEOUT_MS shorter than its steps', () => {
    beforeEach(async () => {
      t = await createTestApp({ env: { CHANGE_MASTER_STEP_MS: '60000', CHANGE_MASTER_TIMEOUT_MS: '300' } });
    });

    it('ends the run failed with timeout and leaves the master where it was', async () => {
      await t.http
        .post(path)
        .auth(...t.admin)
        .send({ node_uid: '2' })
        .expect(200);
      const last = (await pollAction(t.http, t.admin, 'change_master', undefined, 5000)).at(-1);
      expect(last).toMatchObject({ status: 'failed', error_code: 'timeout' });
      expect(await masters()).toEqual(['1']);
    });
  });
});
