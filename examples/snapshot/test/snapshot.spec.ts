import { ClusterControl, NodeNotActiveError, type ClusterNode, type NodePersisted } from 'cluster-actions';
import { startRun } from 'cluster-actions/testing';
import { SnapshotHandler } from '../src/snapshot.handler.js';

/** Three nodes whose saves complete at once, except for the nodes listed as down. */
class FakeCluster extends ClusterControl {
  readonly saved: number[] = [];
  readonly changeMasterSteps = [];

  constructor(private readonly down: readonly number[] = []) {
    super();
  }

  listNodes(): Promise<ClusterNode[]> {
    return Promise.resolve(
      [1, 2, 3].map((uid) => ({
        uid,
        addr: `node${uid}:6379`,
        status: 'active',
        role: uid === 1 ? 'master' : 'slave',
      })),
    );
  }

  masterUid(): Promise<number | undefined> {
    return Promise.resolve(1);
  }

  getNode(): Promise<ClusterNode | undefined> {
    return Promise.resolve(undefined);
  }

  checkChangeMaster(): Promise<void> {
    return Promise.resolve();
  }

  changeMaster(): Promise<void> {
    return Promise.resolve();
  }

  persistNode(uid: number): Promise<NodePersisted> {
    if (this.down.includes(uid)) return Promise.reject(new NodeNotActiveError(uid, 'down'));
    this.saved.push(uid);
    return Promise.resolve({ uid, addr: `node${uid}:6379`, savedAt: `2026-01-01T00:00:0${uid}.000Z` });
  }
}

describe('snapshot', () => {
  it('saves every node in turn, with progress and a step per node, and their results', async () => {
    const cluster = new FakeCluster();
    const run = await startRun(new SnapshotHandler(cluster), {});
    const end = await run.ended;
    expect(end).toMatchObject({ status: 'completed', progress: 100 });
    expect(end.result).toEqual({
      nodes: {
        1: { addr: 'node1:6379', status: 'saved', saved_at: '2026-01-01T00:00:01.000Z' },
        2: { addr: 'node2:6379', status: 'saved', saved_at: '2026-01-01T00:00:02.000Z' },
        3: { addr: 'node3:6379', status: 'saved', saved_at: '2026-01-01T00:00:03.000Z' },
      },
    });
    const steps = run.states.filter((state) => state.status === 'running' && state.step);
    expect([...new Set(steps.map((state) => `${state.progress} ${state.step}`))]).toEqual([
      '0 saving node 1 (node1:6379)',
      '33 saving node 2 (node2:6379)',
      '66 saving node 3 (node3:6379)',
    ]);
  });

  it('stops between nodes on a cancel, keeping the results of the nodes already saved', async () => {
    const cluster = new FakeCluster();
    const run = await startRun(
      new SnapshotHandler(cluster),
      {},
      {
        cancelWhen: (state) => state.result !== undefined,
      },
    );
    const end = await run.ended;
    expect(end.status).toBe('cancelled');
    expect(cluster.saved).toEqual([1]);
    expect(Object.keys(end.result?.nodes as object)).toEqual(['1']);
  });

  it('saves the other nodes when one fails, then fails snapshot_incomplete naming it', async () => {
    const cluster = new FakeCluster([2]);
    const end = await (await startRun(new SnapshotHandler(cluster), {})).ended;
    expect(end).toMatchObject({ status: 'failed', errorCode: 'snapshot_incomplete' });
    expect(end.errorMessage).toContain('Node(s) 2 ');
    expect(cluster.saved).toEqual([1, 3]);
    expect((end.result?.nodes as Record<string, unknown>)[2]).toEqual({
      addr: 'node2:6379',
      status: 'failed',
      error: 'Node 2 is down, not active.',
    });
  });
});
