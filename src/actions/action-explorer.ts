import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, Reflector } from '@nestjs/core';
import { ActionRegistry, DEFAULT_ACTION_TIMEOUT_MS } from './action-registry.js';
import { ClusterActionHandler } from './cluster-action-handler.js';
import { CLUSTER_ACTION_METADATA, type ClusterActionOptions } from './cluster-action.decorator.js';

/** Finds every `@ClusterAction` provider in the application at start-up; a wrong one stops the start-up. */
@Injectable()
export class ActionExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly reflector: Reflector,
    private readonly registry: ActionRegistry,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const type = wrapper.metatype;
      if (!type || typeof type !== 'function') continue;
      const options = this.reflector.get<ClusterActionOptions | undefined>(CLUSTER_ACTION_METADATA, type);
      if (!options) continue;
      const source = `@ClusterAction on ${type.name}`;
      if (wrapper.isTransient || !wrapper.isDependencyTreeStatic()) {
        throw new Error(`${source}: action handlers must be singletons, not request- or transient-scoped.`);
      }
      if (!(wrapper.instance instanceof ClusterActionHandler)) {
        throw new Error(`${source}: the class must extend ClusterActionHandler.`);
      }
      this.registry.register(
        {
          name: options.name,
          params: options.params,
          timeoutMs: options.timeoutMs ?? DEFAULT_ACTION_TIMEOUT_MS,
          handler: wrapper.instance as ClusterActionHandler,
        },
        source,
      );
    }
  }
}
