import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { ClusterActionsModule } from './cluster-actions.module.js';
import type { AppConfig } from './config/app-config.js';

/** The deployed service: the ClusterActionsModule plus the extension modules named in EXTENSION_MODULES. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, extensions: readonly Type[] = []): DynamicModule {
    return { module: AppModule, imports: [ClusterActionsModule.forRoot(config), ...extensions] };
  }
}
