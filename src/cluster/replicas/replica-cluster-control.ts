import { setTimeout as sleep } from 'node:timers/promises';
import { leaseUntil } from '../../actions/run-session.js';
import { DomainError } from '../../errors/domain-error.js';
import { ClusterControl, type ChangeMasterContext, type NodePersisted } from '../cluster-control.js';
import { NodeNotActiveError, NodeNotFoundError, TopologyNotHealthyError } from '../cluster.errors.js';
import type { ClusterNode } from '../node.js';
import { CONFIRM_STEP, type ReplicaLeadership } from './replica-leadership.js';
import type { ReplicaNodeRow, ReplicaStore } from './replica-store.js';

/** What change_master needs besides the registry: how long the hand-over step lets work settle, the run lease. */
export interface ReplicaChangeMasterTimings {
  readonly settleMs: number;
  readonly actionLeaseMs: number;
}

/**
 * CLUSTER_NODES=replicas: the service's own replicas are the nodes, the primary (role `master`) is the holder of
 * the leader lease. change_master runs on the primary (it executes every run) and moves the lease:
 * check_target -> hand_over (stop claiming, let in-flight coordinator work finish) -> transfer_lease (the point of
 * no return: lease and run move to the target in one transaction) -> target_confirms, recorded by the target
 * when it coordinates, which then records the run `completed`.
 */
export class ReplicaClusterControl extends ClusterControl {
  readonly changeMasterSteps = ['check_target', 'hand_over', 'transfer_lease', CONFIRM_STEP];

  constructor(
    private readonly store: ReplicaStore,
    private readonly leadership: ReplicaLeadership,
    private readonly timings: ReplicaChangeMasterTimings,
  ) {
    super();
  }

  async listNodes(): Promise<ClusterNode[]> {
    return (await this.store.list(this.leadership.node.leaseMs)).map((row) => this.toNode(row));
  }

  async getNode(uid: number): Promise<ClusterNode | undefined> {
    return (await this.listNodes()).find((node) => node.uid === uid);
  }

  /** The lease holder as the database has it now, not as this replica last acted on it. */
  async masterUid(): Promise<number | undefined> {
    return (await this.store.list(this.leadership.node.leaseMs)).find((row) => row.master)?.uid;
  }

  /** A replica keeps no data of its own (the store is PostgreSQL's): there is nothing a node could persist. */
  persistNode(uid: number): Promise<NodePersisted> {
    return Promise.reject(
      new DomainError(
        'not_acceptable',
        'persist_not_supported',
        `Node ${uid} is a replica of this service: its state lives in PostgreSQL, not on the node; back up the database instead.`,
      ),
    );
  }

  async checkChangeMaster(uid: number): Promise<void> {
    await this.activeNode(uid);
  }

  async changeMaster(uid: number, { signal, progress, pointOfNoReturn, actionUid }: ChangeMasterContext) {
    await progress(0, 'check_target');
    if ((await this.activeNode(uid)).role === 'master') return; // already primary: nothing to do
    await progress(25, 'hand_over');
    const fence = this.leadership.beginHandover();
    if (!fence) throw new TopologyNotHealthyError('this replica lost the primary role during the run.');
    try {
      await sleep(this.timings.settleMs, undefined, { signal });
      await progress(50, 'transfer_lease');
      await this.activeNode(uid); // the target may have gone down meanwhile
      await pointOfNoReturn();
    } catch (error) {
      this.leadership.cancelHandover(); // stopped before the transfer: this node stays the primary
      throw error;
    }
    const run = { actionUid, leaseExpiresAt: leaseUntil(this.timings.actionLeaseMs) };
    if (!(await this.leadership.transfer(fence, uid, run))) {
      throw new TopologyNotHealthyError('this replica lost the primary role before the transfer.');
    }
    // The run is the target's now: it records the last step and the completion once it coordinates.
  }

  /** Each replica reports its own role as it acts on it, every other node's from the lease. */
  private toNode({ uid, addr, status, master, lastSeen }: ReplicaNodeRow): ClusterNode {
    const isMaster = uid === this.leadership.uid ? this.leadership.isPrimary : master;
    return { uid, addr, status, role: isMaster ? 'master' : 'slave', replication: { lastSeen } };
  }

  private async activeNode(uid: number): Promise<ClusterNode> {
    const node = await this.getNode(uid);
    if (!node) throw new NodeNotFoundError(uid);
    if (node.status !== 'active') throw new NodeNotActiveError(uid, node.status);
    return node;
  }
}
