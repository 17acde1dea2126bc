import { Global, Module } from '@nestjs/common';
import { Coordination, EveryProcessCoordinates } from '../actions/coordination.js';
import { AppConfig } from '../config/app-config.js';
import { postgresPool } from '../storage/postgres/postgres-database.js';
import { ChangeMasterHandler } from './change-master.handler.js';
import { ClusterControl } from './cluster-control.js';
import { LocalClusterControl } from './local/local-cluster-control.js';
import { NodesController } from './nodes.controller.js';
import { NodesRepository } from './nodes.repository.js';
import { RedisClusterControl } from './redis/redis-cluster-control.js';
import { ReplicaClusterControl } from './replicas/replica-cluster-control.js';
import { ReplicaLeadership } from './replicas/replica-leadership.js';
import { ReplicaStore } from './replicas/replica-store.js';

/** Heartbeats and lease renewals: one at a time per process, plus a read of the nodes. */
const REPLICA_POOL_SIZE = 2;

/** Who coordinates: the elected primary when the replicas are the cluster, every process otherwise. */
function coordination(config: AppConfig): Coordination {
  const cluster = config.clusterNodes;
  if (cluster.kind !== 'replicas' || config.database.driver !== 'postgres')
    return new EveryProcessCoordinates();
  const pool = postgresPool({ ...config.database, poolSize: REPLICA_POOL_SIZE });
  return new ReplicaLeadership(new ReplicaStore(pool), cluster);
}

/** The one place the ClusterControl adapter is chosen, from CLUSTER_NODES; a new adapter is one more case. */
function clusterControl(
  config: AppConfig,
  nodes: NodesRepository,
  coordinator: Coordination,
): ClusterControl {
  const cluster = config.clusterNodes;
  switch (cluster.kind) {
    case 'local':
      return new LocalClusterControl(nodes, cluster.nodes, config.changeMasterStepMs);
    case 'redis':
      return new RedisClusterControl(nodes, cluster.nodes, config.redis);
    case 'replicas': {
      const leadership = coordinator as ReplicaLeadership;
      return new ReplicaClusterControl(leadership.store, leadership, {
        settleMs: config.changeMasterStepMs,
        actionLeaseMs: config.actionLeaseMs,
      });
    }
  }
}

/**
 * Nodes, the ClusterControl seam, and change_master (an action type like any extension's). Global, so that an
 * extension's handlers can inject the ClusterControl and the actions module can ask the Coordination who executes
 * runs and sweeps.
 */
@Global()
@Module({
  controllers: [NodesController],
  providers: [
    { provide: Coordination, useFactory: coordination, inject: [AppConfig] },
    {
      provide: ClusterControl,
      useFactory: clusterControl,
      inject: [AppConfig, NodesRepository, Coordination],
    },
    ChangeMasterHandler,
  ],
  exports: [ClusterControl, Coordination],
})
export class ClusterModule {}
