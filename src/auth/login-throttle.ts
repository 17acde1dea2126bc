import { Injectable } from '@nestjs/common';
import { RateLimiterMemory, type RateLimiterRes } from 'rate-limiter-flexible';
import { AppConfig } from '../config/app-config.js';
import { TooManyLoginFailuresError } from './auth.errors.js';

/**
 * Brute-force throttling of failed logins, counted per client address and per user at that address: a guesser
 * gets 429 while other clients, and that user's correct logins from elsewhere, go on working. Successful and
 * cached logins are never counted. A window opens at an address's (or user's) first failure and lasts
 * LOGIN_THROTTLE_SECONDS. In-process counters: each replica throttles on its own.
 */
@Injectable()
export class LoginThrottle {
  private readonly perAddress: RateLimiterMemory;
  private readonly perUserAndAddress: RateLimiterMemory;

  constructor(config: AppConfig) {
    const duration = config.loginThrottleSeconds;
    this.perUserAndAddress = new RateLimiterMemory({
      keyPrefix: 'login-user-address',
      points: config.loginFailureLimit,
      duration,
    });
    // An address may fail on several users (typos, shared NAT) before it is stopped for all of them.
    this.perAddress = new RateLimiterMemory({
      keyPrefix: 'login-address',
      points: config.loginFailureLimit * 4,
      duration,
    });
  }

  /** Refuses with 429 once the address, or the user at this address, has used up its failures in the window. */
  async check(address: string, email: string): Promise<void> {
    const [byAddress, byUser] = await Promise.all([
      this.perAddress.get(address),
      this.perUserAndAddress.get(this.userKey(address, email)),
    ]);
    const blocked = [
      [byAddress, this.perAddress.points] as const,
      [byUser, this.perUserAndAddress.points] as const,
    ]
      .filter(([state, points]) => state !== null && state.consumedPoints >= points)
      .map(([state]) => (state as RateLimiterRes).msBeforeNext);
    if (blocked.length > 0) throw new TooManyLoginFailuresError(Math.ceil(Math.max(...blocked) / 1000));
  }

  async failed(address: string, email: string): Promise<void> {
    await Promise.all([
      this.perAddress.penalty(address),
      this.perUserAndAddress.penalty(this.userKey(address, email)),
    ]);
  }

  async succeeded(address: string, email: string): Promise<void> {
    await this.perUserAndAddress.delete(this.userKey(address, email));
  }

  private userKey(address: string, email: string): string {
    return `${address}|${email.toLowerCase()}`;
  }
}
