import { Injectable } from '@nestjs/common';
import { ActionsRepository } from '../actions/actions.repository.js';
import { StoreUnavailableError } from '../errors/domain-error.js';

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
