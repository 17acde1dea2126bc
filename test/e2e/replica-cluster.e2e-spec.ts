import { isTerminal, type ActionStatus } from '../../src/actions/action-lifecycle.js';
import { BuiltService } from '../support/built-service.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { requireBuild, ServiceProcess, waitFor } from '../support/service-process.js';

const ADMIN: readonly [string, string] = ['admin@replica-cluster.local', 'replica-cluster-password'];
const CHANGE_MASTER = '/v1/cluster/actions/change_master';
const LEASE_MS = 1000;

interface ActionBody {
  readonly action_uid: string;
  readonly status: ActionStatus;
  readonly step?: string;
  readonly error_code?: string;
  readonly executor_node?: number;
  readonly steps: readonly { readonly name: string; readonly status: string }[];
}

interface NodeBody {
  readonly uid: number;
  readonly addr: string;
  readonly status: string;
  readonly role: string;
}

/** One replica of the cluster: its process, its NODE_ADDR and its node uid. */
interface Replica {
  process: ServiceProcess;
  readonly addr: string;
  uid: number;
}

/**
 * Three built replicas on one PostgreSQL database with CLUSTER_NODES=replicas, short heartbeats and leases.
 * `settleMs` is CHANGE_MASTER_STEP_MS: how long a change_master's hand-over step lasts (a run to interrupt).
 */
class ReplicaCluster {
  readonly replicas: Replica[] = [];

  private constructor(
    private readonly database: TestDatabase,
    private readonly env: Record<string, string>,
  ) {}

  static async start(database: TestDatabase, settleMs: number, leaseMs = LEASE_MS): Promise<ReplicaCluster> {
    const cluster = new ReplicaCluster(database, {
      DATABASE_URL: database.url,
      CLUSTER_NODES: 'replicas',
      ADMIN_EMAIL: ADMIN[0],
      ADMIN_PASSWORD: ADMIN[1],
      NODE_HEARTBEAT_MS: '100',
      NODE_LEASE_MS: String(leaseMs),
      ACTION_LEASE_MS: String(LEASE_MS),
      CHANGE_MASTER_STEP_MS: String(settleMs),
      SHUTDOWN_GRACE_MS: '500',
      LOG_LEVEL: 'log',
      LOG_REQUESTS: 'off',
      AUDIT_LOG: 'off',
    });
    // One after the other: the first migrates, and becomes the primary.
    for (const name of ['replica-a', 'replica-b', 'replica-c']) {
      const replica: Replica = {
        addr: `${name}.test:8080`,
        uid: 0,
        process: await cluster.spawn(`${name}.test:8080`),
      };
      cluster.replicas.push(replica);
    }
    const nodes = await cluster.replicas[0].process.json<NodeBody[]>('/v1/nodes');
    for (const replica of cluster.replicas)
      replica.uid = nodes.find((node) => node.addr === replica.addr)!.uid;
    await cluster.settled();
    return cluster;
  }

  spawn(addr: string): Promise<ServiceProcess> {
    return ServiceProcess.start({ ...this.env, NODE_ADDR: addr }, ADMIN);
  }

  /** Starts the replica again at the same address (a restart, e.g. an upgrade). */
  async restart(replica: Replica): Promise<void> {
    replica.process = await this.spawn(replica.addr);
  }

  /** Each replica's own role as it acts on it (its entry in its own /v1/nodes/status). */
  async ownRoles(replicas = this.replicas): Promise<string[]> {
    return Promise.all(
      replicas.map(async ({ process, uid }) => {
        const status = await process.json<Record<string, { role: string }>>('/v1/nodes/status');
        return status[String(uid)].role;
      }),
    );
  }

  /**
   * Whether `a` and `b` act as primary at one instant. Concurrent reads are not one instant (a hand-over between
   * two answers would look like two primaries), so the reads are one after another: a, b, then a again. A turn
   * as primary is one interval, so if a says master before and after b's answer, both were primary at b's answer.
   */
  async primaryTogether(a: Replica, b: Replica): Promise<boolean> {
    for (const replica of [a, b, a]) {
      if ((await this.ownRoles([replica]))[0] !== 'master') return false;
    }
    return true;
  }

  /** Waits until exactly one of `replicas` acts as the primary and every one of them agrees; returns it. */
  async settled(replicas = this.replicas): Promise<Replica> {
    return waitFor('one primary that every replica agrees on', async () => {
      const views = await Promise.all(replicas.map(({ process }) => process.json<NodeBody[]>('/v1/nodes')));
      const masters = views.map((nodes) =>
        nodes.filter((node) => node.role === 'master').map((node) => node.uid),
      );
      const own = await this.ownRoles(replicas);
      const primaries = replicas.filter((_, index) => own[index] === 'master');
      if (primaries.length !== 1) return undefined;
      const agreed = masters.every((uids) => uids.length === 1 && uids[0] === primaries[0].uid);
      return agreed ? primaries[0] : undefined;
    });
  }

  /** The status of `uid` as every one of `replicas` reports it, once they all report `wanted`. */
  nodeStatus(uid: number, wanted: string, replicas: Replica[]): Promise<true> {
    return waitFor(`node ${uid} to be ${wanted}`, async () => {
      const views = await Promise.all(
        replicas.map(({ process }) => process.json<NodeBody>(`/v1/nodes/${uid}`)),
      );
      return views.every((node) => node.status === wanted) || undefined;
    });
  }

  async drop(): Promise<void> {
    await BuiltService.killAll();
    await this.database.drop();
  }
}

async function startRun(replica: Replica, nodeUid: number): Promise<ActionBody> {
  const response = await replica.process.request('POST', CHANGE_MASTER, { node_uid: String(nodeUid) });
  expect(response.status).toBe(200);
  return (await response.json()) as ActionBody;
}

function runOf(
  replica: Replica,
  actionUid: string,
  wanted: (body: ActionBody) => boolean,
): Promise<ActionBody> {
  return waitFor('the run to reach the wanted state', async () => {
    const body = await replica.process.json<ActionBody>(CHANGE_MASTER);
    return body.action_uid === actionUid && wanted(body) ? body : undefined;
  });
}

const ended = (body: ActionBody): boolean => isTerminal(body.status);

/** Samples every replica's own role until stopped, and records whether two ever said they were the primary. */
function watchForTwoPrimaries(cluster: ReplicaCluster): { stop: () => Promise<number> } {
  let running = true;
  let overlaps = 0;
  const sampling = (async () => {
    while (running) {
      const roles = await cluster.ownRoles();
      const primaries = cluster.replicas.filter((_, index) => roles[index] === 'master');
      if (primaries.length > 1 && (await cluster.primaryTogether(primaries[0], primaries[1]))) overlaps++;
    }
  })();
  return {
    stop: async () => {
      running = false;
      await sampling;
      return overlaps;
    },
  };
}

describe('CLUSTER_NODES=replicas: three replicas are the cluster', () => {
  let database: TestDatabase;
  let cluster: ReplicaCluster | undefined;

  beforeAll(requireBuild);

  beforeEach(async () => {
    database = await createTestDatabase();
  });

  afterEach(async () => {
    await (cluster?.drop() ?? database.drop());
    cluster = undefined;
  });

  it('three active nodes with one primary, the same view from every replica; a paused replica is down, then back', async () => {
    cluster = await ReplicaCluster.start(database, 100);
    const primary = await cluster.settled();
    const views = await Promise.all(
      cluster.replicas.map(({ process }) => process.json<NodeBody[]>('/v1/nodes')),
    );
    for (const nodes of views) {
      expect(nodes.map(({ uid, addr, status, role }) => ({ uid, addr, status, role }))).toEqual(
        cluster.replicas.map(({ uid, addr }) => ({
          uid,
          addr,
          status: 'active',
          role: uid === primary.uid ? 'master' : 'slave',
        })),
      );
    }

    const paused = cluster.replicas.find((replica) => replica !== primary)!;
    const others = cluster.replicas.filter((replica) => replica !== paused);
    paused.process.pause();
    await cluster.nodeStatus(paused.uid, 'down', others);
    // change_master's prechecks: a down target, an unknown node.
    const toDown = await others[0].process.request('POST', CHANGE_MASTER, { node_uid: String(paused.uid) });
    expect(toDown.status).toBe(406);
    expect(await toDown.json()).toMatchObject({ error_code: 'node_not_active' });
    const toUnknown = await others[1].process.request('POST', CHANGE_MASTER, { node_uid: '99' });
    expect(toUnknown.status).toBe(404);
    expect(await toUnknown.json()).toMatchObject({ error_code: 'node_not_found' });
    paused.process.resume();
    await cluster.nodeStatus(paused.uid, 'active', cluster.replicas);
    expect(await cluster.settled()).toBe(primary);
  }, 90_000);

  it('change_master to each other node in turn moves the role; later runs execute on the new primary; never two primaries', async () => {
    cluster = await ReplicaCluster.start(database, 100);
    const watcher = watchForTwoPrimaries(cluster);
    const first = await cluster.settled();
    const order = [...cluster.replicas.filter((replica) => replica !== first), first];
    for (const [index, target] of order.entries()) {
      // Any replica accepts the POST; the primary executes it.
      const accepting = cluster.replicas[index % cluster.replicas.length];
      const run = await startRun(accepting, target.uid);
      const done = await runOf(accepting, run.action_uid, ended);
      expect(done).toMatchObject({ status: 'completed', step: 'target_confirms' });
      // The old primary ran the first three steps, the new one confirmed: one timeline across both.
      expect(done.steps.map(({ name, status }) => [name, status])).toEqual([
        ['check_target', 'done'],
        ['hand_over', 'done'],
        ['transfer_lease', 'done'],
        ['target_confirms', 'done'],
      ]);
      expect(await cluster.settled()).toBe(target);

      // A run started now is executed by the new primary (a change_master to itself: a no-op).
      const next = await startRun(cluster.replicas[(index + 1) % 3], target.uid);
      expect(await runOf(target, next.action_uid, ended)).toMatchObject({
        status: 'completed',
        executor_node: target.uid,
      });
    }
    expect(await watcher.stop()).toBe(0);
  }, 90_000);

  it('a cancel before the transfer keeps the primary; SIGKILL of the primary mid-run: a new primary, the run aborted, a new run completes, the node rejoins', async () => {
    cluster = await ReplicaCluster.start(database, 60_000);
    const primary = await cluster.settled();
    const survivors = cluster.replicas.filter((replica) => replica !== primary);
    // A cancel during the hand-over, before the transfer, leaves the primary in place.
    const cancelled = await startRun(survivors[0], survivors[1].uid);
    await runOf(survivors[0], cancelled.action_uid, (body) => body.step === 'hand_over');
    expect((await survivors[1].process.request('DELETE', CHANGE_MASTER)).status).toBe(200);
    expect(await runOf(survivors[0], cancelled.action_uid, ended)).toMatchObject({ status: 'cancelled' });
    expect(await cluster.settled()).toBe(primary);

    const run = await startRun(survivors[0], survivors[1].uid);
    await runOf(survivors[0], run.action_uid, (body) => body.step === 'hand_over');

    await primary.process.stop('SIGKILL');
    const successor = await cluster.settled(survivors);
    expect(successor).not.toBe(primary);
    expect(await runOf(successor, run.action_uid, ended)).toMatchObject({
      status: 'aborted',
      error_code: 'executor_lost',
      executor_node: primary.uid,
    });

    const next = await startRun(survivors[1], successor.uid);
    expect(await runOf(successor, next.action_uid, ended)).toMatchObject({
      status: 'completed',
      executor_node: successor.uid,
    });

    await cluster.restart(primary);
    await cluster.nodeStatus(primary.uid, 'active', cluster.replicas);
    expect(await cluster.settled()).toBe(successor);
  }, 90_000);

  it('a primary paused past its lease is fenced when it resumes: its hand-over never lands, it rejoins as non-primary', async () => {
    cluster = await ReplicaCluster.start(database, 1500);
    const primary = await cluster.settled();
    const [target, other] = cluster.replicas.filter((replica) => replica !== primary);
    const run = await startRun(other, target.uid);
    await runOf(other, run.action_uid, (body) => body.step === 'hand_over');

    primary.process.pause();
    const successor = await cluster.settled([target, other]);
    const recovered = await runOf(successor, run.action_uid, ended);
    expect(recovered).toMatchObject({ status: 'aborted', error_code: 'executor_lost' });
    primary.process.resume();

    // Its hand-over step ends; every write it tries as the old primary is refused.
    await waitFor('the resumed replica to step down', () =>
      Promise.resolve(/is no longer the primary/.test(primary.process.output) || undefined),
    );
    await cluster.nodeStatus(primary.uid, 'active', cluster.replicas);
    expect(await cluster.settled()).toBe(successor);
    expect(await successor.process.json<ActionBody>(CHANGE_MASTER)).toMatchObject(recovered);
    expect(primary.process.output).not.toMatch(/Handed the primary role/);
  }, 90_000);

  it('a graceful stop of the primary hands the role over before it exits; no run is lost', async () => {
    // A lease far longer than the test waits: only a hand-over can move the role in time.
    cluster = await ReplicaCluster.start(database, 60_000, 30_000);
    const primary = await cluster.settled();
    const survivors = cluster.replicas.filter((replica) => replica !== primary);
    const run = await startRun(survivors[0], survivors[1].uid);
    await runOf(survivors[0], run.action_uid, (body) => body.step === 'hand_over');

    expect(await primary.process.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(primary.process.output).toMatch(/Handed the primary role to node/);
    const successor = await cluster.settled(survivors);
    // The interrupted run was recorded by the stopping primary itself, not left to a sweep.
    expect(await runOf(successor, run.action_uid, ended)).toMatchObject({
      status: 'aborted',
      error_code: 'shutdown',
    });
    const next = await startRun(survivors[0], successor.uid);
    expect(await runOf(successor, next.action_uid, ended)).toMatchObject({
      status: 'completed',
      executor_node: successor.uid,
    });
    await cluster.nodeStatus(primary.uid, 'down', survivors);
  }, 90_000);
});
