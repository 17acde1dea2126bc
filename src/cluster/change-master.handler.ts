import { ClusterAction } from '../actions/cluster-action.decorator.js';
import { ClusterActionHandler, type ActionContext } from '../actions/cluster-action-handler.js';
import { ChangeMasterParams } from './change-master.params.js';
import { AppConfig } from '../config/app-config.js';
import { ClusterControl } from './cluster-control.js';

/**
 * Promotes a node to master. Registered through the same public API as any other action type; the
 * ClusterControl adapter owns the switchover (steps, progress, cancellation, preconditions).
 */
@ClusterAction({ name: 'change_master', params: ChangeMasterParams })
export class ChangeMasterHandler extends ClusterActionHandler<ChangeMasterParams> {
  override readonly timeoutMs: number;

  constructor(
    private readonly cluster: ClusterControl,
    config: AppConfig,
  ) {
    super();
    this.timeoutMs = config.changeMasterTimeoutMs;
  }

  override precheck({ node_uid }: ChangeMasterParams): Promise<void> {
    return this.cluster.checkChangeMaster(Number(node_uid));
  }

  run({ node_uid }: ChangeMasterParams, context: ActionContext): Promise<void> {
    return this.cluster.changeMaster(Number(node_uid), context);
  }
}
