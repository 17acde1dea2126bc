import { Module } from '@nestjs/common';
import { ChangeMasterHandler } from './change-master.handler.js';
import { ClusterControl } from './cluster-control.js';
import { LocalClusterControl } from './local-cluster-control.js';
import { NodesController } from './nodes.controller.js';

/** Nodes, the ClusterControl seam, and change_master (an action type like any extension's). */
@Module({
  controllers: [NodesController],
  providers: [{ provide: ClusterControl, useClass: LocalClusterControl }, ChangeMasterHandler],
})
export class ClusterModule {}
