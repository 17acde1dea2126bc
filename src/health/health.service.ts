import { Injectable } from '@nestjs/common';
import { ActionsRepository } from '../actions/actions.repository.js';
import { DomainError } from '../errors/domain-error.js';

export class StoreUnavailableError extends DomainError {
  constructor() {
    super('unavailable', 'store_unavailable', 'The store does not answer.');
  }
}

@Injectable()
export class HealthService {
  constructor(private readonly actions: ActionsRepository) {}

  /** Healthy when the store answers a read. */
  async check(): Promise<void> {
    try {
      await this.actions.findLatest('');
    } catch {
      throw new StoreUnavailableError();
    }
  }
}
