import { Logger, type OnModuleInit } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import type { InitialNode } from '../../config/app-config.js';
import { ClusterControl, type ChangeMasterContext, type NodePersisted } from '../cluster-control.js';
import { NodeNotActiveError, NodeNotFoundError, TopologyNotHealthyError } from '../cluster.errors.js';
import type { ClusterNode } from '../node.js';
import { NodesRepository } from '../nodes.repository.js';

/** The simulated hand-over steps before the switch; each takes CHANGE_MASTER_STEP_MS and can be cancelled. */
const STEPS = ['prepare_handover', 'sync_configuration', 'switch_master'] as const;

/**
 * A simulated topology kept in the store, seeded from CLUSTER_NODES (plain uids) on first start: the no-setup
 * default. The master role moves in one atomic write at the very end, so a cancelled or failed run leaves the
 * old master in place and no moment has zero or two masters.
 */
export class LocalClusterControl extends ClusterControl implements OnModuleInit {
  private readonly logger = new Logger(LocalClusterControl.name);
  readonly changeMasterSteps = STEPS;

  constructor(
    private readonly nodes: NodesRepository,
    private readonly initialNodes: readonly InitialNode[],
    private readonly stepMs: number,
  ) {
    super();
  }

  async onModuleInit(): Promise<void> {
    const master = this.initialNodes.find((node) => node.status === 'active')?.uid;
    const seeded = await this.nodes.seed(
      this.initialNodes.map(({ uid, status }) => ({
        uid,
        status,
        addr: `node${uid}.cluster.local`,
        role: uid === master ? 'master' : 'slave',
      })),
    );
    if (seeded)
      this.logger.log(`Seeded nodes ${this.initialNodes.map((n) => n.uid).join(', ')}; master ${master}.`);
  }

  listNodes(): Promise<ClusterNode[]> {
    return this.nodes.list();
  }

  getNode(uid: number): Promise<ClusterNode | undefined> {
    return this.nodes.get(uid);
  }

  async masterUid(): Promise<number | undefined> {
    const masters = (await this.nodes.list()).filter((node) => node.role === 'master');
    return masters.length === 1 ? masters[0].uid : undefined;
  }

  async checkChangeMaster(uid: number): Promise<void> {
    await this.activeNode(uid);
  }

  async changeMaster(uid: number, { signal, progress, pointOfNoReturn }: ChangeMasterContext): Promise<void> {
    if ((await this.activeNode(uid)).role === 'master') return; // already master: nothing to do
    for (const [index, step] of STEPS.entries()) {
      await progress(Math.round((index * 100) / STEPS.length), step);
      await sleep(this.stepMs, undefined, { signal });
    }
    await this.activeNode(uid); // the target may have gone down meanwhile
    await pointOfNoReturn(); // the last safe point: from here the switch is one write
    if (!(await this.nodes.setMaster(uid))) throw new NodeNotFoundError(uid);
  }

  /** The simulated save: one CHANGE_MASTER_STEP_MS on an active node. */
  async persistNode(uid: number, signal: AbortSignal): Promise<NodePersisted> {
    const node = await this.nodes.get(uid);
    if (!node) throw new NodeNotFoundError(uid);
    if (node.status !== 'active') throw new NodeNotActiveError(uid, node.status);
    await sleep(this.stepMs, undefined, { signal });
    return { uid, addr: node.addr, savedAt: new Date().toISOString() };
  }

  /** The node `uid`, if it can become master: it exists, is active, and the topology has one master. */
  private async activeNode(uid: number): Promise<ClusterNode> {
    const nodes = await this.nodes.list();
    const node = nodes.find((candidate) => candidate.uid === uid);
    if (!node) throw new NodeNotFoundError(uid);
    if (node.status !== 'active') throw new NodeNotActiveError(uid, node.status);
    const masters = nodes.filter((candidate) => candidate.role === 'master').length;
    if (masters !== 1) throw new TopologyNotHealthyError(`${masters} nodes are master.`);
    return node;
  }
}
