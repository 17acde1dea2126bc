import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { createTestApp, type TestApp } from '../support/app.js';
import { pollAction, timelineOf as timeline } from '../support/poll.js';
import { roleOf, startReplicationGroup, waitFor, type RedisServer } from '../support/redis-servers.js';

const path = '/v1/cluster/actions/change_master';
const FAILOVER_TIMEOUT_MS = 1500;
const STEPS = ['check_target_in_sync', 'failover', 'wait_for_switch', 'repoint_replicas', 'verify'];

type NodesStatus = Record<string, { role: string; node_status: string }>;

describe('change_master on a live Redis replication group', () => {
  let servers: RedisServer[];
  let t: TestApp;
  const folder = mkdtempSync(join(tmpdir(), 'cluster-actions-redis-'));

  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    CLUSTER_NODES: servers.map((server) => server.url).join(','),
    NODE_POLL_MS: '50',
    REDIS_COMMAND_TIMEOUT_MS: '300',
    CHANGE_MASTER_STEP_TIMEOUT_MS: '5000',
    CHANGE_MASTER_FAILOVER_TIMEOUT_MS: String(FAILOVER_TIMEOUT_MS),
    ...extra,
  });

  beforeEach(async () => {
    servers = await startReplicationGroup(3);
    t = await createTestApp({ env: env() });
  });

  afterEach(async () => {
    await t.close();
    await Promise.all(servers.map((server) => server.close()));
  });

  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  async function nodesStatus(): Promise<NodesStatus> {
    return (
      await t.http
        .get('/v1/nodes/status')
        .auth(...t.admin)
        .expect(200)
    ).body as NodesStatus;
  }

  /** Waits until the API's last observation shows `expected` (the observer polls every 50 ms). */
  async function statusBecomes(expected: NodesStatus): Promise<void> {
    await waitFor(async () => JSON.stringify(await nodesStatus()) === JSON.stringify(expected), 5000);
  }

  const healthy = (master: 1 | 2 | 3): NodesStatus =>
    Object.fromEntries(
      [1, 2, 3].map((uid) => [
        String(uid),
        { role: uid === master ? 'master' : 'slave', node_status: 'active' },
      ]),
    );

  /** The servers' own view: exactly one master (`uid`), every other server linked to it. */
  async function expectHealthy(uid: 1 | 2 | 3): Promise<void> {
    const master = servers[uid - 1];
    await waitFor(async () => {
      const infos = await Promise.all(servers.map((server) => server.client().info('replication')));
      return infos.every((info, index) =>
        index === uid - 1
          ? info.includes('role:master')
          : info.includes(`master_port:${master.port}`) && info.includes('master_link_status:up'),
      );
    });
  }

  const start = (uid: string) =>
    t.http
      .post(path)
      .auth(...t.admin)
      .send({ node_uid: uid });

  const waitForStep = (step: string) =>
    pollAction(t.http, t.admin, 'change_master', (body) => body.step === step, 10_000);

  /** Keeps replication to `target` busy: a stream of writes on the master it has to catch up with. */
  function writer(client: Redis): { stop: () => Promise<void> } {
    let running = true;
    const done = (async () => {
      for (let i = 0; running; i++)
        await client.set(`load:${i % 100}`, 'x'.repeat(1000)).catch(() => undefined);
    })();
    return {
      stop: async () => {
        running = false;
        await done;
      },
    };
  }

  it('reads roles and statuses from the servers: active, down, and a broken link as provisioning', async () => {
    await statusBecomes(healthy(1));
    const nodes = await t.http
      .get('/v1/nodes')
      .auth(...t.admin)
      .expect(200);
    expect(nodes.body).toEqual(
      servers.map((server, index) => ({
        uid: index + 1,
        addr: server.addr,
        status: 'active',
        role: index === 0 ? 'master' : 'slave',
        ...(index > 0 && { master_addr: servers[0].addr, lag_bytes: expect.any(Number) }),
        repl_offset: expect.any(Number),
        last_seen: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      })),
    );

    // A replica whose link to the master is broken: it authenticates as a user the master does not have.
    const broken = servers[1].client();
    await broken.config('SET', 'masteruser', 'nobody');
    await broken.config('SET', 'masterauth', 'wrong-password');
    await broken.call('CLIENT', 'KILL', 'TYPE', 'master');
    await servers[2].kill();
    await statusBecomes({
      '1': { role: 'master', node_status: 'active' },
      '2': { role: 'slave', node_status: 'provisioning' },
      '3': { role: 'slave', node_status: 'down' },
    });
    const down = await t.http
      .get('/v1/nodes/3')
      .auth(...t.admin)
      .expect(200);
    expect(down.body).toMatchObject({ uid: 3, status: 'down', last_seen: expect.any(String) });
    expect(JSON.stringify(down.body)).not.toMatch(/password|redis:\/\//);

    await start('2').expect(406, {
      error_code: 'node_not_active',
      description: 'Node 2 is provisioning, not active.',
    });
    await start('3').expect(406, {
      error_code: 'node_not_active',
      description: 'Node 3 is down, not active.',
    });
    await start('9').expect(404);
    await t.http
      .get(path)
      .auth(...t.admin)
      .expect(404); // nothing started
  });

  it('refuses a topology that is not one master with its replicas (409), and shows it as it is', async () => {
    await servers[2].client().replicaof('NO', 'ONE');
    await statusBecomes({
      '1': { role: 'master', node_status: 'active' },
      '2': { role: 'slave', node_status: 'active' },
      '3': { role: 'master', node_status: 'active' },
    });
    const refused = await start('2').expect(409);
    expect(refused.body).toEqual({
      error_code: 'topology_not_healthy',
      description: expect.stringMatching(/2 nodes are master/),
    });
  });

  it('checks expected_master_uid against the servers: refused, dry run, then started and completed', async () => {
    await statusBecomes(healthy(1));
    await t.http
      .post(path)
      .auth(...t.admin)
      .send({ node_uid: '3', expected_master_uid: '2' })
      .expect(409, {
        error_code: 'precondition_failed',
        description: 'expected_master_uid is 2, but node 1 is master.',
      });
    await t.http
      .post(`${path}?dry_run=true`)
      .auth(...t.admin)
      .send({ node_uid: '3', expected_master_uid: '1' })
      .expect(200, {
        dry_run: true,
        would_start: true,
        blockers: [],
        steps: STEPS.map((name) => ({ name, status: 'pending' })),
      });
    await t.http
      .post(path)
      .auth(...t.admin)
      .send({ node_uid: '3', expected_master_uid: '1' })
      .expect(200);
    const runs = await pollAction(t.http, t.admin, 'change_master', undefined, 20_000);
    expect(runs.at(-1)).toMatchObject({ status: 'completed', expected_master_uid: '1' });
    await expectHealthy(3);
    await statusBecomes(healthy(3));
  });

  it('switches the master under a continuous writer: no acknowledged write lost, never two masters', async () => {
    await statusBecomes(healthy(1));
    // Every server's role, read throughout the switchover.
    const watchers = servers.map((server) => server.client({ commandTimeout: 300 }));
    const seen: string[][] = [];
    let watching = true;
    const watch = (async () => {
      while (watching) seen.push(await Promise.all(watchers.map(roleOf)));
    })();
    // Writes to the old master until it refuses them; the ones it acknowledged must all be on the new master.
    const writes = servers[0].client();
    const acknowledged: number[] = [];
    let writing = true;
    const write = (async () => {
      for (let i = 0; writing; i++) {
        try {
          await writes.set(`key:${i}`, String(i));
          acknowledged.push(i);
        } catch {
          return; // READONLY: the old master is a replica now
        }
      }
    })();
    await sleep(100);

    await start('2').expect(200);
    const runs = await pollAction(t.http, t.admin, 'change_master', undefined, 20_000);
    writing = false;
    await write;
    watching = false;
    await watch;

    expect(runs.at(-1)).toMatchObject({ status: 'completed', progress: 100, cancellable: false });
    expect(timeline(runs.at(-1))).toEqual(STEPS.map((step) => [step, 'done']));
    // The steps seen while polling (a fast one may be missed), in the documented order.
    const steps = [...new Set(runs.map((run) => run.step).filter(Boolean))];
    expect(steps).toEqual(STEPS.filter((step) => steps.includes(step)));
    await expectHealthy(2);
    const newMaster = servers[1].client();
    const stored = await newMaster.mget(acknowledged.map((i) => `key:${i}`));
    expect(stored).toEqual(acknowledged.map(String));
    expect(seen.length).toBeGreaterThan(5);
    expect(seen.filter((round) => round.filter((role) => role === 'master').length > 1)).toEqual([]);
    await statusBecomes(healthy(2));
  });

  /**
   * Makes node `uid` lag: CLIENT PAUSE WRITE on a replica holds back the replication stream from its master while
   * it still answers INFO, so it looks healthy but cannot catch up until the pause ends.
   */
  async function lag(uid: number, ms: number): Promise<void> {
    await servers[uid - 1].client().call('CLIENT', 'PAUSE', String(ms), 'WRITE');
  }

  it('a cancel before the failover is issued ends the run cancelled with nothing changed', async () => {
    // An observation old enough to let the POST through, then a target that cannot link to its master: the
    // first step waits for it to be online.
    await t.close();
    t = await createTestApp({ env: env({ NODE_POLL_MS: '60000' }) });
    const target = servers[1].client();
    await target.config('SET', 'masteruser', 'nobody');
    await target.config('SET', 'masterauth', 'wrong-password');
    await target.call('CLIENT', 'KILL', 'TYPE', 'master');
    await start('2').expect(200);
    await waitForStep('check_target_in_sync');
    await t.http
      .delete(path)
      .auth(...t.admin)
      .expect(200);
    const runs = await pollAction(t.http, t.admin, 'change_master');
    expect(runs.at(-1)).toMatchObject({
      status: 'cancelled',
      cancellable: true,
      step: 'check_target_in_sync',
    });
    await target.config('SET', 'masteruser', '');
    await target.config('SET', 'masterauth', '');
    await target.call('CLIENT', 'KILL', 'TYPE', 'master');
    await expectHealthy(1);
  });

  it('a cancel while the target catches up aborts the failover: cancelled, old master still master', async () => {
    await statusBecomes(healthy(1));
    const load = writer(servers[0].client());
    await lag(2, 2500);
    await start('2').expect(200);
    await waitForStep('wait_for_switch');
    await t.http
      .delete(path)
      .auth(...t.admin)
      .expect(200);
    const runs = await pollAction(t.http, t.admin, 'change_master', undefined, 10_000);
    await load.stop();
    expect(runs.at(-1)).toMatchObject({ status: 'cancelled', cancellable: true, step: 'wait_for_switch' });
    expect(timeline(runs.at(-1))).toEqual([
      ['check_target_in_sync', 'done'],
      ['failover', 'done'],
      ['wait_for_switch', 'cancelled'],
      ['repoint_replicas', 'skipped'],
      ['verify', 'skipped'],
    ]);
    expect(await roleOf(servers[0].client())).toBe('master');
    await expectHealthy(1);
    await statusBecomes(healthy(1));
  });

  it('a cancel after the switch is 409 action_not_cancellable and the run completes', async () => {
    await statusBecomes(healthy(1));
    // Node 3 answers nothing for a while: re-pointing it is retried, so the run stays past the switch for a time.
    await servers[2].client().call('CLIENT', 'PAUSE', '2500', 'ALL');
    await start('2').expect(200);
    await pollAction(t.http, t.admin, 'change_master', (body) => body.cancellable === false, 10_000);
    const refused = await t.http
      .delete(path)
      .auth(...t.admin)
      .expect(409);
    expect(refused.body.error_code).toBe('action_not_cancellable');
    const runs = await pollAction(t.http, t.admin, 'change_master', undefined, 15_000);
    expect(runs.at(-1)).toMatchObject({ status: 'completed', cancellable: false });
    expect(runs.at(-1)).not.toHaveProperty('cancelled_by');
    await expectHealthy(2);
    await statusBecomes(healthy(2));
  });

  it('a failover that times out is rolled back by Redis: failed with failover_timeout, old master still master', async () => {
    await statusBecomes(healthy(1));
    const load = writer(servers[0].client());
    await lag(2, FAILOVER_TIMEOUT_MS + 2000);
    await start('2').expect(200);
    const runs = await pollAction(t.http, t.admin, 'change_master', undefined, 10_000);
    await load.stop();
    expect(runs.at(-1)).toMatchObject({
      status: 'failed',
      error_code: 'failover_timeout',
      cancellable: true,
      error_message: expect.stringMatching(/node 1 is still master/),
    });
    expect(timeline(runs.at(-1))).toEqual([
      ['check_target_in_sync', 'done'],
      ['failover', 'done'],
      ['wait_for_switch', 'failed'],
      ['repoint_replicas', 'skipped'],
      ['verify', 'skipped'],
    ]);
    expect(await roleOf(servers[0].client())).toBe('master');
    await expectHealthy(1);
    await statusBecomes(healthy(1));
  });

  it('a target killed mid-switch fails the run with the verified topology in error_message', async () => {
    await statusBecomes(healthy(1));
    const load = writer(servers[0].client());
    await lag(2, 5000);
    await start('2').expect(200);
    await waitForStep('wait_for_switch');
    await servers[1].kill();
    const runs = await pollAction(t.http, t.admin, 'change_master', undefined, 10_000);
    await load.stop();
    expect(runs.at(-1)).toMatchObject({
      status: 'failed',
      error_code: 'target_down',
      error_message: expect.stringMatching(
        /1 127\.0\.0\.1:\d+ master; 2 127\.0\.0\.1:\d+ down; 3 127\.0\.0\.1:\d+ replica of 127\.0\.0\.1:\d+ \(link up\)/,
      ),
    });
    expect(await roleOf(servers[0].client())).toBe('master');
    await statusBecomes({
      '1': { role: 'master', node_status: 'active' },
      '2': { role: 'slave', node_status: 'down' },
      '3': { role: 'slave', node_status: 'active' },
    });
  });

  it('a service restart mid-run ends the run aborted and reports the topology as the servers have it', async () => {
    const database = { DATABASE_URL: `sqlite:${join(folder, `${Date.now()}.db`)}` };
    await t.close();
    t = await createTestApp({ env: env(database) });
    await statusBecomes(healthy(1));
    const load = writer(servers[0].client());
    await lag(2, 3000);
    await start('2').expect(200);
    await waitForStep('wait_for_switch');
    await t.close();
    await load.stop();
    t = await createTestApp({ env: env(database) });
    const run = await t.http
      .get(path)
      .auth(...t.admin)
      .expect(200);
    expect(run.body).toMatchObject({ status: 'aborted', error_code: 'shutdown' });
    expect(await roleOf(servers[0].client())).toBe('master');
    await statusBecomes(healthy(1));
    await expectHealthy(1);
  });
});
