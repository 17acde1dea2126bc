import { Injectable } from '@nestjs/common';
import { ActionsRepository } from '../actions/actions.repository.js';
import { DomainError, StoreUnavailableError } from '../errors/domain-error.js';
import { Readiness } from './readiness.js';

export class StartingUpError extends DomainError {
  constructor() {
    super('unavailable', 'starting_up', 'The service is starting.');
  }
}

export class ShuttingDownError extends DomainError {
  constructor() {
    super('unavailable', 'shutting_down', 'The service is stopping.');
  }
}

@Injectable()
export class HealthService {
  constructor(
    private readonly actions: ActionsRepository,
    private readonly readiness: Readiness,
  ) {}

  /** Ready to take traffic: started, not stopping, and the store answers a read. */
  async checkReady(): Promise<void> {
    if (this.readiness.state === 'starting') throw new StartingUpError();
    if (this.readiness.state === 'stopping') throw new ShuttingDownError();
    try {
      await this.actions.findLatest('');
    } catch {
      throw new StoreUnavailableError();
    }
  }
}
