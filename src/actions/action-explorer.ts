import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, Reflector } from '@nestjs/core';
import { ActionRegistry, describeAction, InvalidActionHandlerError } from './action-registry.js';
import { ClusterActionHandler } from './cluster-action-handler.js';
import { CLUSTER_ACTION_METADATA, type ClusterActionOptions } from './cluster-action.decorator.js';

/**
 * Finds every `@ClusterAction` provider in the application at start-up; a wrong one stops the start-up.
 * A provider given by class is known by its class; one given with `useFactory` or `useValue` by the class of its
 * instance (as nestjs/bull does), since its metatype is the factory or nothing.
 */
@Injectable()
export class ActionExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly reflector: Reflector,
    private readonly registry: ActionRegistry,
  ) {}

  onModuleInit(): void {
    // An instance reached through several tokens (e.g. `useExisting`) is one handler.
    const seen = new Set<unknown>();
    for (const wrapper of this.discovery.getProviders()) {
      const type: unknown =
        !wrapper.metatype || wrapper.inject
          ? (wrapper.instance as object | undefined)?.constructor
          : wrapper.metatype;
      if (typeof type !== 'function' || seen.has(wrapper.instance)) continue;
      const options = this.reflector.get<ClusterActionOptions | undefined>(CLUSTER_ACTION_METADATA, type);
      if (!options) continue;
      seen.add(wrapper.instance);
      const source = `Module ${wrapper.host?.name ?? '(unknown)'}, @ClusterAction on ${type.name}`;
      if (wrapper.isTransient || !wrapper.isDependencyTreeStatic()) {
        throw new InvalidActionHandlerError(
          `${source}: action handlers must be singletons, not request- or transient-scoped.`,
        );
      }
      if (!(wrapper.instance instanceof ClusterActionHandler)) {
        throw new InvalidActionHandlerError(`${source}: the class must extend ClusterActionHandler.`);
      }
      const handler = wrapper.instance as ClusterActionHandler;
      this.registry.register(describeAction(handler, options), source);
    }
  }
}
