import { Module, type DynamicModule } from '@nestjs/common';
import { ActionsModule } from './actions/actions.module.js';
import { AuditModule } from './audit/audit.module.js';
import { AuthModule } from './auth/auth.module.js';
import { ClusterModule } from './cluster/cluster.module.js';
import type { AppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import { StorageModule } from './storage/storage.module.js';
import { MethodNotAllowedModule } from './errors/method-not-allowed.js';
import { HealthModule } from './health/health.module.js';
import { ObservabilityModule } from './observability/observability.js';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule.forRoot(config),
        StorageModule,
        AuditModule,
        AuthModule,
        ActionsModule,
        ClusterModule,
        HealthModule,
        MethodNotAllowedModule,
      ],
    };
  }
}
