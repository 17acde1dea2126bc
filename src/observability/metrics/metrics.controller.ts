import { Controller, Get, Header } from '@nestjs/common';
import { Registry } from 'prom-client';
import { Permission } from '../../auth/permissions.js';
import { RequirePermission } from '../../auth/require-permission.decorator.js';
import { Metrics } from './metrics.js';

/** Prometheus scrapes this with basic auth, as a user whose role may view cluster stats. */
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: Metrics) {}

  @Get()
  @RequirePermission(Permission.ViewClusterStats)
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
