import { Global, Module, type DynamicModule } from '@nestjs/common';
import { collectDefaultMetrics } from 'prom-client';
import { AppConfig } from '../../config/app-config.js';
import { MetricsController } from './metrics.controller.js';
import { Metrics } from './metrics.js';
import { RunMetrics } from './run-metrics.js';

/**
 * Metrics exists either way, so that features update it unconditionally; METRICS=off leaves out what costs:
 * the /metrics route, the per-request timing (see observability.ts) and the process metrics.
 */
@Global()
@Module({})
export class MetricsModule {
  /**
   * Without `config` (an AppConfig from a factory, known only once the providers are built) the /metrics route is
   * mounted either way and answers 404 while METRICS is off.
   */
  static forRoot(config?: AppConfig): DynamicModule {
    return {
      module: MetricsModule,
      controllers: !config || config.metrics ? [MetricsController] : [],
      providers: [
        {
          provide: Metrics,
          useFactory: (appConfig: AppConfig) => {
            const metrics = new Metrics();
            if (appConfig.metrics) collectDefaultMetrics({ register: metrics.registry });
            return metrics;
          },
          inject: [AppConfig],
        },
        RunMetrics,
      ],
      exports: [Metrics],
    };
  }
}
