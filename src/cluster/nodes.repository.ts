import type { ClusterNode } from './node.js';

/** The local topology's store of nodes. Exactly one node is master at every moment. */
export abstract class NodesRepository {
  /** Every node, ordered by uid. */
  abstract list(): Promise<ClusterNode[]>;
  abstract get(uid: number): Promise<ClusterNode | undefined>;
  /** Stores `nodes` only if there are none yet (first start); returns whether it did. */
  abstract seed(nodes: readonly ClusterNode[]): Promise<boolean>;
  /** Makes `uid` the master and every other node a slave in one atomic write; false if `uid` is unknown. */
  abstract setMaster(uid: number): Promise<boolean>;
}
