import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Clock, SystemClock } from '../common/clock.js';
import { ActionEvents } from './action-events.js';
import { ActionExplorer } from './action-explorer.js';
import { ActionHistory } from './action-history.js';
import { ActionHistoryController } from './action-history.controller.js';
import { ActionRecovery } from './action-recovery.js';
import { ActionRegistry } from './action-registry.js';
import { ActionRunner } from './action-runner.js';
import { ActionsController } from './actions.controller.js';
import { ActionsService } from './actions.service.js';
import { HistoryRetentionSweep } from './history-retention.js';
import { RunStore } from './run-store.js';
import { RunWaiter } from './run-waiter.js';
import { TaskViewsController } from './task-views.controller.js';

/**
 * The cluster actions API. Action types come from any module: a provider decorated with `@ClusterAction`
 * that extends `ClusterActionHandler` is found at start-up. The `ActionsRepository` and `RunEvents` come from
 * the StorageModule.
 */
@Module({
  imports: [DiscoveryModule],
  controllers: [ActionsController, ActionHistoryController, TaskViewsController],
  providers: [
    ActionRegistry,
    ActionExplorer,
    ActionRecovery,
    ActionRunner,
    ActionsService,
    RunStore,
    RunWaiter,
    ActionEvents,
    ActionHistory,
    HistoryRetentionSweep,
    { provide: Clock, useClass: SystemClock },
  ],
  exports: [ActionsService],
})
export class ActionsModule {}
