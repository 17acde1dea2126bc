import { ClusterAction } from '../actions/cluster-action.decorator.js';
import { ClusterActionHandler, type ActionContext } from '../actions/cluster-action-handler.js';
import { ChangeMasterParams } from './change-master.params.js';
import { AppConfig } from '../config/app-config.js';
import { ClusterControl } from './cluster-control.js';
import { PreconditionFailedError } from '../actions/actions.errors.js';

/**
 * Promotes a node to master. Registered through the same public API as any other action type; the
 * ClusterControl adapter owns the switchover (its steps, progress, cancellation, and the checks of the target).
 * The client's own precondition, `expected_master_uid`, is checked here.
 */
@ClusterAction({ name: 'change_master', params: ChangeMasterParams })
export class ChangeMasterHandler extends ClusterActionHandler<ChangeMasterParams> {
  override readonly timeoutMs: number;
  override readonly steps: readonly string[];

  constructor(
    private readonly cluster: ClusterControl,
    config: AppConfig,
  ) {
    super();
    this.timeoutMs = config.changeMasterTimeoutMs;
    this.steps = cluster.changeMasterSteps;
  }

  override precheck({ node_uid }: ChangeMasterParams): Promise<void> {
    return this.cluster.checkChangeMaster(Number(node_uid));
  }

  override async preconditions({ expected_master_uid }: ChangeMasterParams): Promise<void> {
    if (expected_master_uid === undefined) return;
    const master = await this.cluster.masterUid();
    if (master === Number(expected_master_uid)) return;
    throw new PreconditionFailedError(
      `expected_master_uid is ${expected_master_uid}, but ${master === undefined ? 'no single node' : `node ${master}`} is master.`,
    );
  }

  run({ node_uid }: ChangeMasterParams, context: ActionContext): Promise<void> {
    return this.cluster.changeMaster(Number(node_uid), context);
  }
}
