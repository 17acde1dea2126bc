import { Module, type DynamicModule } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { AppConfig } from '../config/app-config.js';
import { AppLogging, LoggingModule } from './logging.js';
import { httpMetrics } from './metrics/http-metrics.js';
import { Metrics } from './metrics/metrics.js';
import { MetricsModule } from './metrics/metrics.module.js';

/** Structured logs with request ids, and Prometheus metrics. */
@Module({})
export class ObservabilityModule {
  /** Without `config` (an AppConfig from a factory), see MetricsModule.forRoot. */
  static forRoot(config?: AppConfig): DynamicModule {
    return { module: ObservabilityModule, imports: [LoggingModule, MetricsModule.forRoot(config)] };
  }
}

/**
 * Makes the app log through pino and mounts the per-request middleware ahead of every other (the body parser
 * included), so that every request, even one refused before routing, gets an id, a log line and a timing.
 */
export function useObservability(app: NestExpressApplication): void {
  app.useLogger(app.get(Logger));
  app.use(app.get(AppLogging).http);
  if (app.get(AppConfig).metrics) app.use(httpMetrics(app.get(Metrics)));
}
