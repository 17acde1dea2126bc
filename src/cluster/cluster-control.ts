import type { ClusterNode } from './node.js';

/**
 * The seam where a deployment plugs in its real cluster. The built-in LocalClusterControl keeps a
 * topology in the store; a real one would talk to the cluster's own control plane.
 */
export abstract class ClusterControl {
  /** Every node, ordered by uid. */
  abstract listNodes(): Promise<ClusterNode[]>;
  abstract getNode(uid: number): Promise<ClusterNode | undefined>;
  /** Hands the master role to `uid` in one step: the old master stays master until this succeeds. */
  abstract promote(uid: number): Promise<void>;
}
