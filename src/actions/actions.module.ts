import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ActionExplorer } from './action-explorer.js';
import { ActionRecovery } from './action-recovery.js';
import { ActionRegistry } from './action-registry.js';
import { ActionRunner } from './action-runner.js';
import { ActionsController } from './actions.controller.js';
import { ActionsService } from './actions.service.js';

/**
 * The cluster actions API. Action types come from any module: a provider decorated with `@ClusterAction`
 * that extends `ClusterActionHandler` is found at start-up. The `ActionsRepository` comes from the
 * DatabaseModule.
 */
@Module({
  imports: [DiscoveryModule],
  controllers: [ActionsController],
  providers: [ActionRegistry, ActionExplorer, ActionRecovery, ActionRunner, ActionsService],
  exports: [ActionsService],
})
export class ActionsModule {}
