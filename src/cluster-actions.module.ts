import { Module, type DynamicModule } from '@nestjs/common';
import { ActionsModule } from './actions/actions.module.js';
import { AuditModule } from './audit/audit.module.js';
import { AuthModule } from './auth/auth.module.js';
import { ClusterModule } from './cluster/cluster.module.js';
import type { AppConfig } from './config/app-config.js';
import { ConfigModule, type ClusterActionsAsyncOptions } from './config/config.module.js';
import { HealthModule } from './health/health.module.js';
import { ObservabilityModule } from './observability/observability.js';
import { StorageModule } from './storage/storage.module.js';
import { TrailingRoutesModule } from './transport/trailing-routes.js';

export type { ClusterActionsAsyncOptions } from './config/config.module.js';

/**
 * The whole service as one Nest module: the four action routes, history, users, nodes, health, metrics, the
 * store and the cluster adapter, with the options the environment gives the deployed service (an AppConfig).
 * Handlers (`@ClusterAction` providers) from any module of the application are found at start-up. Call
 * `configureApp(app, config)` on the application for the service's HTTP set-up (errors, body parsing, OpenAPI).
 */
@Module({})
export class ClusterActionsModule {
  static forRoot(config: AppConfig): DynamicModule {
    return ClusterActionsModule.with(ConfigModule.forRoot(config), ObservabilityModule.forRoot(config));
  }

  /**
   * The AppConfig from a factory. The /metrics route is then mounted whatever the config says and answers 404
   * when `metrics` is off: which controllers a module has is settled before any factory runs.
   */
  static forRootAsync(options: ClusterActionsAsyncOptions): DynamicModule {
    return ClusterActionsModule.with(ConfigModule.forRootAsync(options), ObservabilityModule.forRoot());
  }

  private static with(config: DynamicModule, observability: DynamicModule): DynamicModule {
    return {
      module: ClusterActionsModule,
      imports: [
        config,
        observability,
        StorageModule,
        AuditModule,
        // First of the modules with controllers: Express tries routes in order, and these serve the most requests.
        ActionsModule,
        AuthModule,
        ClusterModule,
        HealthModule,
        TrailingRoutesModule,
      ],
    };
  }
}
