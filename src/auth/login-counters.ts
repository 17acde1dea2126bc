import { RateLimiterMemory, type RateLimiterAbstract } from 'rate-limiter-flexible';

/** A count of failed logins: `points` per key in a window of `duration` seconds, keys prefixed by `keyPrefix`. */
export interface LoginCounterOptions {
  readonly keyPrefix: string;
  readonly points: number;
  readonly duration: number;
}

/**
 * Where failed logins are counted, provided by the storage backend: in this process for the embedded stores
 * (one process), in the shared database when several replicas must add up to one limit.
 */
export abstract class LoginCounters {
  abstract counter(options: LoginCounterOptions): RateLimiterAbstract;
}

/** Counters in this process's memory: the store of the backends that serve one process. */
export class InProcessLoginCounters extends LoginCounters {
  counter(options: LoginCounterOptions): RateLimiterAbstract {
    return new RateLimiterMemory(options);
  }
}
