export const NODE_STATUSES = ['active', 'down', 'provisioning', 'decommissioning'] as const;
export type NodeStatus = (typeof NODE_STATUSES)[number];

export type NodeRole = 'master' | 'slave';

export interface ClusterNode {
  readonly uid: number;
  readonly addr: string;
  readonly status: NodeStatus;
  readonly role: NodeRole;
}
