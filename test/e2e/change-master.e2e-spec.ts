import { createTestApp, type TestApp } from '../support/app.js';
import { mastersOf, pollAction, timelineOf as timeline, type ActionBody } from '../support/poll.js';
import { SseClient } from '../support/sse.js';

const path = '/v1/cluster/actions/change_master';
const STEPS = ['prepare_handover', 'sync_configuration', 'switch_master'];

describe('change_master and the nodes API', () => {
  let t: TestApp;

  afterEach(() => t.close());

  const masters = () => mastersOf(t.http, t.admin);

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

  describe('step timeline', () => {
    const start = () =>
      t.http
        .post(path)
        .auth(...t.admin)
        .send({ node_uid: '2' })
        .expect(200);

    it('goes through every step to completed, each done in turn, the current one matching `step`', async () => {
      t = await createTestApp({ env: { CLUSTER_NODES: '1,2,3', CHANGE_MASTER_STEP_MS: '30' } });
      const events = await SseClient.open(t.app, `${path}/events`, t.admin);
      const { body } = await start();
      expect(timeline(body)).toEqual(STEPS.map((name) => [name, 'pending']));
      const seen = await pollAction(t.http, t.admin, 'change_master');
      for (const observed of seen.filter((run) => run.status === 'running' && run.step)) {
        const running = timeline(observed).filter(([, status]) => status === 'running');
        expect(running).toEqual([[observed.step, 'running']]);
      }
      const last = seen.at(-1)!;
      expect(timeline(last)).toEqual(STEPS.map((name) => [name, 'done']));
      const steps = last.steps as { start_time: string; end_time: string }[];
      steps.forEach((step, index) => {
        expect(step.start_time <= step.end_time).toBe(true);
        if (index > 0) expect(step.start_time).toBe(steps[index - 1].end_time);
      });
      expect(steps[0].start_time >= String(last.start_time)).toBe(true);
      expect(steps.at(-1)!.end_time).toBe(last.end_time);

      // Each step entered is one `step` event whose action object shows that step running.
      await events.until('completed');
      events.close();
      const stepEvents = events.events.filter((event) => event.event === 'step');
      expect(stepEvents.map((event) => event.data?.step)).toEqual(STEPS);
      stepEvents.forEach((event, index) => {
        expect(timeline(event.data as ActionBody)[index]).toEqual([STEPS[index], 'running']);
      });
      const completed = events.events.find((event) => event.data?.status === 'completed');
      expect(timeline(completed!.data as ActionBody)).toEqual(STEPS.map((name) => [name, 'done']));
    });

    it('marks the running step cancelled and the rest skipped when the run is cancelled', async () => {
      t = await createTestApp({ env: { CLUSTER_NODES: '1,2,3', CHANGE_MASTER_STEP_MS: '60000' } });
      await start();
      await pollAction(t.http, t.admin, 'change_master', (run) => run.step === 'prepare_handover');
      await t.http
        .delete(path)
        .auth(...t.admin)
        .expect(200);
      const last = (await pollAction(t.http, t.admin, 'change_master')).at(-1)!;
      expect(last.status).toBe('cancelled');
      expect(timeline(last)).toEqual([
        ['prepare_handover', 'cancelled'],
        ['sync_configuration', 'skipped'],
        ['switch_master', 'skipped'],
      ]);
      expect((last.steps as { end_time?: string }[])[0].end_time).toBe(last.end_time);
    });

    it('marks the running step failed and the rest skipped when the run fails', async () => {
      t = await createTestApp({
        env: { CLUSTER_NODES: '1,2,3', CHANGE_MASTER_STEP_MS: '60000', CHANGE_MASTER_TIMEOUT_MS: '300' },
      });
      await start();
      const last = (await pollAction(t.http, t.admin, 'change_master')).at(-1)!;
      expect(last).toMatchObject({ status: 'failed', error_code: 'timeout' });
      expect(timeline(last)).toEqual([
        ['prepare_handover', 'failed'],
        ['sync_configuration', 'skipped'],
        ['switch_master', 'skipped'],
      ]);
    });

    it('skips every step of a no-op run whose target already is master', async () => {
      t = await createTestApp({ env: { CLUSTER_NODES: '1,2,3' } });
      await t.http
        .post(path)
        .auth(...t.admin)
        .send({ node_uid: '1' })
        .expect(200);
      const last = (await pollAction(t.http, t.admin, 'change_master')).at(-1)!;
      expect(last.status).toBe('completed');
      expect(timeline(last)).toEqual(STEPS.map((name) => [name, 'skipped']));
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
