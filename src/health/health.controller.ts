import { Controller, Get } from '@nestjs/common';
import { Public } from '../auth/require-permission.decorator.js';
import { HealthService } from './health.service.js';

/** For load balancers and orchestrators: no credentials, no state beyond "the store answers". */
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get()
  @Public()
  async check(): Promise<{ status: 'ok' }> {
    await this.health.check();
    return { status: 'ok' };
  }
}
