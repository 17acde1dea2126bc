import {
  ClusterAction,
  ClusterActionHandler,
  ClusterControl,
  DomainError,
  type ActionContext,
  type ClusterNode,
} from 'cluster-actions';

/** One node's outcome in the run's `result.nodes`, keyed by node uid. */
export type NodeSnapshot =
  | { readonly addr: string; readonly status: 'saved'; readonly saved_at: string }
  | { readonly addr: string; readonly status: 'failed'; readonly error: string };

/**
 * `snapshot`: asks every node of the cluster to persist its data, one node after the other (on Redis: BGSAVE, done
 * when LASTSAVE moved). Progress and a step per node; a cancel stops before the next node; the run's result holds
 * each node's outcome. A node that fails does not stop the others; the run then fails `snapshot_incomplete`.
 */
@ClusterAction({ name: 'snapshot', timeoutMs: 10 * 60 * 1000 })
export class SnapshotHandler extends ClusterActionHandler {
  constructor(private readonly cluster: ClusterControl) {
    super();
  }

  async run(_params: object, { progress, result, signal }: ActionContext): Promise<void> {
    const nodes = await this.cluster.listNodes();
    const outcomes: Record<string, NodeSnapshot> = {};
    for (const [index, node] of nodes.entries()) {
      signal.throwIfAborted(); // the safe point between two nodes
      await progress(Math.floor((index * 100) / nodes.length), `saving node ${node.uid} (${node.addr})`);
      outcomes[node.uid] = await this.save(node, signal);
      await result({ nodes: outcomes });
    }
    const failed = Object.keys(outcomes).filter((uid) => outcomes[uid].status === 'failed');
    if (failed.length > 0) {
      throw new DomainError(
        'conflict',
        'snapshot_incomplete',
        `Node(s) ${failed.join(', ')} did not save their data; see the run's result.`,
      );
    }
  }

  private async save(node: ClusterNode, signal: AbortSignal): Promise<NodeSnapshot> {
    try {
      const saved = await this.cluster.persistNode(node.uid, signal);
      return { addr: saved.addr, status: 'saved', saved_at: saved.savedAt };
    } catch (error) {
      if (signal.aborted) throw error; // cancelled or timed out while waiting: stop here
      return {
        addr: node.addr,
        status: 'failed',
        error: error instanceof Error ? error.message : String(error),
      };
    }
  }
}
