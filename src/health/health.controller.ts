import { Controller, Get } from '@nestjs/common';
import { Public } from '../auth/require-permission.decorator.js';
import { HealthService } from './health.service.js';

/** For load balancers and orchestrators: no credentials. */
@Controller()
export class HealthController {
  constructor(private readonly health: HealthService) {}

  /** Liveness: the process serves. Nothing else, so that a store outage does not get the replica restarted. */
  @Get('health')
  @Public()
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: 503 while starting, stopping, or while the store does not answer. */
  @Get('ready')
  @Public()
  async ready(): Promise<{ status: 'ok' }> {
    await this.health.checkReady();
    return { status: 'ok' };
  }
}
