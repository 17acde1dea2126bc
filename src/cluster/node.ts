export const NODE_STATUSES = ['active', 'down', 'provisioning', 'decommissioning'] as const;
export type NodeStatus = (typeof NODE_STATUSES)[number];

export type NodeRole = 'master' | 'slave';

export interface ClusterNode {
  readonly uid: number;
  /** `host:port` (never credentials). */
  readonly addr: string;
  readonly status: NodeStatus;
  readonly role: NodeRole;
  /** What a live adapter observed; absent for the simulated topology. */
  readonly replication?: NodeReplication;
}

export interface NodeReplication {
  /** The node's replication offset: a master's `master_repl_offset`, a replica's `slave_repl_offset`. */
  readonly offset?: number;
  /** A replica's bytes behind its master (the master's offset minus its own), when both answered. */
  readonly lagBytes?: number;
  /** `host:port` of the master a replica follows. */
  readonly masterAddr?: string;
  /** When the node last answered (ISO 8601); absent if it never did. */
  readonly lastSeen?: string;
}
