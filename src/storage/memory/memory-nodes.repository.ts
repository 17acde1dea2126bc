import { Injectable } from '@nestjs/common';
import type { ClusterNode } from '../../cluster/node.js';
import { NodesRepository } from '../../cluster/nodes.repository.js';

@Injectable()
export class MemoryNodesRepository extends NodesRepository {
  private nodes: ClusterNode[] = [];

  list(): Promise<ClusterNode[]> {
    return Promise.resolve([...this.nodes]);
  }

  get(uid: number): Promise<ClusterNode | undefined> {
    return Promise.resolve(this.nodes.find((node) => node.uid === uid));
  }

  seed(nodes: readonly ClusterNode[]): Promise<boolean> {
    if (this.nodes.length > 0) return Promise.resolve(false);
    this.nodes = [...nodes].sort((a, b) => a.uid - b.uid);
    return Promise.resolve(true);
  }

  setMaster(uid: number): Promise<boolean> {
    if (!this.nodes.some((node) => node.uid === uid)) return Promise.resolve(false);
    // One synchronous replacement: no reader can see zero or two masters.
    this.nodes = this.nodes.map((node) => ({ ...node, role: node.uid === uid ? 'master' : 'slave' }));
    return Promise.resolve(true);
  }
}
