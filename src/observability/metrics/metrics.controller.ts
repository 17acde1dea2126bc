import { Controller, Get, Header, NotFoundException } from '@nestjs/common';
import { Registry } from 'prom-client';
import { AppConfig } from '../../config/app-config.js';
import { Permission } from '../../auth/permissions.js';
import { RequirePermission } from '../../auth/require-permission.decorator.js';
import { Metrics } from './metrics.js';

/** Prometheus scrapes this with basic auth, as a user whose role may view cluster stats. */
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: Metrics,
    private readonly config: AppConfig,
  ) {}

  @Get()
  @RequirePermission(Permission.ViewClusterStats)
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  scrape(): Promise<string> {
    // Mounted with METRICS=off only under ClusterActionsModule.forRootAsync (see MetricsModule.forRoot).
    if (!this.config.metrics) throw new NotFoundException();
    return this.metrics.registry.metrics();
  }
}
