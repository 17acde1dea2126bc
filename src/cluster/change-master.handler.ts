import { setTimeout as sleep } from 'node:timers/promises';
import { AppConfig } from '../config/app-config.js';
import { ClusterAction } from '../actions/cluster-action.decorator.js';
import { ClusterActionHandler, type ActionContext } from '../actions/cluster-action-handler.js';
import { ChangeMasterParams } from './change-master.params.js';
import { ClusterControl } from './cluster-control.js';
import { NodeNotActiveError, NodeNotFoundError } from './cluster.errors.js';
import type { ClusterNode } from './node.js';

/** The hand-over steps before the switch; each takes CHANGE_MASTER_STEP_MS and can be cancelled after. */
const STEPS = ['prepare_handover', 'sync_configuration', 'switch_master'] as const;

/**
 * Promotes a node to master. Registered through the same public API as any other action type.
 * The master role moves in one atomic write at the very end, so a cancelled or failed run leaves the
 * old master in place and no moment has zero or two masters.
 */
@ClusterAction({ name: 'change_master', params: ChangeMasterParams })
export class ChangeMasterHandler extends ClusterActionHandler<ChangeMasterParams> {
  constructor(
    private readonly cluster: ClusterControl,
    private readonly config: AppConfig,
  ) {
    super();
  }

  override async precheck({ node_uid }: ChangeMasterParams): Promise<void> {
    await this.activeNode(Number(node_uid));
  }

  async run({ node_uid }: ChangeMasterParams, { signal, progress }: ActionContext): Promise<void> {
    const uid = Number(node_uid);
    if ((await this.activeNode(uid)).role === 'master') return; // already master: nothing to do
    for (const [index, step] of STEPS.entries()) {
      await progress(Math.round((index * 100) / STEPS.length), step);
      await sleep(this.config.changeMasterStepMs, undefined, { signal });
    }
    await this.activeNode(uid); // the target may have gone down meanwhile
    signal.throwIfAborted(); // the last safe point: from here the switch is one write
    await this.cluster.promote(uid);
  }

  private async activeNode(uid: number): Promise<ClusterNode> {
    const node = await this.cluster.getNode(uid);
    if (!node) throw new NodeNotFoundError(uid);
    if (node.status !== 'active') throw new NodeNotActiveError(uid, node.status);
    return node;
  }
}
