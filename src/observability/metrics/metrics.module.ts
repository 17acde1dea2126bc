import { Global, Module, type DynamicModule } from '@nestjs/common';
import { collectDefaultMetrics } from 'prom-client';
import type { AppConfig } from '../../config/app-config.js';
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
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: MetricsModule,
      controllers: config.metrics ? [MetricsController] : [],
      providers: [
        {
          provide: Metrics,
          useFactory: () => {
            const metrics = new Metrics();
            if (config.metrics) collectDefaultMetrics({ register: metrics.registry });
            return metrics;
          },
        },
        RunMetrics,
      ],
      exports: [Metrics],
    };
  }
}
