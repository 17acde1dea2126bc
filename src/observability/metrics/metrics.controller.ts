import { Controller, Get, NotFoundException, Res } from '@nestjs/common';
import type { Response } from 'express';
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
  scrape(@Res({ passthrough: true }) response: Response): Promise<string> {
    // Mounted with METRICS=off only under ClusterActionsModule.forRootAsync (see MetricsModule.forRoot).
    if (!this.config.metrics) throw new NotFoundException();
    // Set here rather than with @Header, which would also label the 404's JSON body.
    response.setHeader('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE);
    return this.metrics.registry.metrics();
  }
}
