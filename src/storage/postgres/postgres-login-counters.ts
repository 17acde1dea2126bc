import type pg from 'pg';
import { RateLimiterPostgres, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { LoginCounters, type LoginCounterOptions } from '../../auth/login-counters.js';

/**
 * Login failures counted in the login_throttle table, so that every replica adds to one count. On the backend's
 * pool: a count waits no longer than any query (the pool's connection and statement timeouts). The table is
 * made by migration 2, not by the library, so that it exists before the first login and is created once under
 * the migration lock.
 */
export class PostgresLoginCounters extends LoginCounters {
  constructor(private readonly pool: pg.Pool) {
    super();
  }

  counter(options: LoginCounterOptions): RateLimiterAbstract {
    return new RateLimiterPostgres({
      ...options,
      storeClient: this.pool,
      storeType: 'pool',
      tableName: 'login_throttle',
      tableCreated: true,
    });
  }
}
