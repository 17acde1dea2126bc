import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { ClusterControl } from './cluster-control.js';
import { NodeNotFoundError } from './cluster.errors.js';
import type { ClusterNode } from './node.js';
import { NodesRepository } from './nodes.repository.js';

/** A topology kept in the store, seeded from CLUSTER_NODES on first start. */
@Injectable()
export class LocalClusterControl extends ClusterControl implements OnModuleInit {
  private readonly logger = new Logger(LocalClusterControl.name);

  constructor(
    private readonly nodes: NodesRepository,
    private readonly config: AppConfig,
  ) {
    super();
  }

  async onModuleInit(): Promise<void> {
    const master = this.config.clusterNodes.find((node) => node.status === 'active')?.uid;
    const seeded = await this.nodes.seed(
      this.config.clusterNodes.map(({ uid, status }) => ({
        uid,
        status,
        addr: `node${uid}.cluster.local`,
        role: uid === master ? 'master' : 'slave',
      })),
    );
    if (seeded)
      this.logger.log(
        `Seeded nodes ${this.config.clusterNodes.map((n) => n.uid).join(', ')}; master ${master}.`,
      );
  }

  listNodes(): Promise<ClusterNode[]> {
    return this.nodes.list();
  }

  getNode(uid: number): Promise<ClusterNode | undefined> {
    return this.nodes.get(uid);
  }

  async promote(uid: number): Promise<void> {
    if (!(await this.nodes.setMaster(uid))) throw new NodeNotFoundError(uid);
  }
}
