import {
  Global,
  Module,
  type DynamicModule,
  type FactoryProvider,
  type ModuleMetadata,
} from '@nestjs/common';
import { AppConfig } from './app-config.js';

/** The settings of `ClusterActionsModule.forRootAsync`: an AppConfig made by a factory with the application's providers. */
export interface ClusterActionsAsyncOptions {
  readonly imports?: ModuleMetadata['imports'];
  readonly inject?: FactoryProvider['inject'];
  readonly useFactory: (...args: never[]) => AppConfig | Promise<AppConfig>;
}

/** Provides the AppConfig, validated before the application is built, to every module. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: AppConfig, useValue: config }],
      exports: [AppConfig],
    };
  }

  /** The AppConfig from a factory that may use the providers of `imports`. */
  static forRootAsync(options: ClusterActionsAsyncOptions): DynamicModule {
    return {
      module: ConfigModule,
      imports: options.imports ?? [],
      providers: [
        {
          provide: AppConfig,
          useFactory: options.useFactory as FactoryProvider['useFactory'],
          inject: options.inject ?? [],
        },
      ],
      exports: [AppConfig],
    };
  }
}
