import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { ChangeMasterHandler } from './change-master.handler.js';
import { ClusterControl } from './cluster-control.js';
import { LocalClusterControl } from './local/local-cluster-control.js';
import { NodesController } from './nodes.controller.js';
import { NodesRepository } from './nodes.repository.js';
import { RedisClusterControl } from './redis/redis-cluster-control.js';

/** The one place the ClusterControl adapter is chosen, from CLUSTER_NODES; a new adapter is one more case. */
function clusterControl(config: AppConfig, nodes: NodesRepository): ClusterControl {
  const cluster = config.clusterNodes;
  switch (cluster.kind) {
    case 'local':
      return new LocalClusterControl(nodes, cluster.nodes, config.changeMasterStepMs);
    case 'redis':
      return new RedisClusterControl(nodes, cluster.nodes, config.redis);
  }
}

/**
 * Nodes, the ClusterControl seam, and change_master (an action type like any extension's). Global, so that an
 * extension's handlers can inject the ClusterControl.
 */
@Global()
@Module({
  controllers: [NodesController],
  providers: [
    { provide: ClusterControl, useFactory: clusterControl, inject: [AppConfig, NodesRepository] },
    ChangeMasterHandler,
  ],
  exports: [ClusterControl],
})
export class ClusterModule {}
