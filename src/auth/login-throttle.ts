import { Injectable } from '@nestjs/common';
import { isIPv6 } from 'node:net';
import { availableParallelism } from 'node:os';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { AppConfig } from '../config/app-config.js';
import { StoreUnavailableError } from '../errors/domain-error.js';
import { LoginChecksBusyError, TooManyLoginFailuresError } from './auth.errors.js';
import { LoginCounters } from './login-counters.js';

/**
 * Password checks running at once: one core is left to the event loop (scrypt saturating every core starves
 * it, and every request with it), and no more than libuv's default thread pool, where scrypt runs: beyond, checks
 * would queue there, where an anonymous flood and a real user wait in one line.
 */
const RUNNING_CHECKS = Math.min(4, Math.max(1, availableParallelism() - 1));
/** Checks that may wait for a running one to end; with RUNNING_CHECKS, bounds a wait to a few KDF runs. */
const WAITING_CHECKS = 16;
/** Checks in flight (running or waiting) per client address and per user: no one fills the running slots. */
const CHECKS_PER_CLIENT_OR_USER = 2;

/**
 * The client an address stands for. An IPv6 host is given a whole /64 and can send from any address in it, so
 * the /64 counts as one client (otherwise each guess could come from a new address); an IPv4-mapped address is
 * its IPv4 address.
 */
export function throttledClient(address: string): string {
  const ip = address.split('%')[0]; // without a link-local zone
  if (!isIPv6(ip)) return address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1];
  // WHATWG URL writes IPv6 canonically (hex groups only, the longest zero run as '::'): simple to expand.
  const [head, tail] = new URL(`http://[${ip}]`).hostname.slice(1, -1).split('::');
  const groups = (part = '') => (part ? part.split(':') : []);
  const zeros = 8 - groups(head).length - groups(tail).length;
  const all = [...groups(head), ...Array<string>(tail === undefined ? 0 : zeros).fill('0'), ...groups(tail)];
  return `${all.slice(0, 4).join(':')}::/64`;
}

/**
 * Admission of password checks, so that a flood of bad logins cannot starve real users: at most
 * CHECKS_PER_CLIENT_OR_USER in flight per address and per user, RUNNING_CHECKS at once (first come, first
 * served), WAITING_CHECKS waiting. Excess is refused at once rather than queued without bound.
 */
class CheckSlots {
  private readonly inFlight = new Map<string, number>();
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  /** Resolves, possibly after a short wait, to the function that frees the slot; or LoginChecksBusyError. */
  async acquire(keys: readonly string[]): Promise<() => void> {
    const full = this.running >= RUNNING_CHECKS && this.waiting.length >= WAITING_CHECKS;
    if (full || keys.some((key) => (this.inFlight.get(key) ?? 0) >= CHECKS_PER_CLIENT_OR_USER)) {
      throw new LoginChecksBusyError();
    }
    for (const key of keys) this.inFlight.set(key, (this.inFlight.get(key) ?? 0) + 1);
    if (this.running < RUNNING_CHECKS) this.running++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    return () => {
      for (const key of keys) {
        const left = this.inFlight.get(key)! - 1;
        if (left > 0) this.inFlight.set(key, left);
        else this.inFlight.delete(key);
      }
      // The slot passes to the next waiter, so `running` stays as it is.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    };
  }
}

/** 429 until the window ends, `ms` from now. */
function tooManyFailures(ms: number): TooManyLoginFailuresError {
  return new TooManyLoginFailuresError(Math.max(1, Math.ceil(ms / 1000)));
}

/**
 * A counter refuses with its state: 429 until its window ends. Anything else is a fault of the counters (their
 * database is down or too slow): 503, as for any request the store cannot serve.
 */
function refusal(error: unknown): TooManyLoginFailuresError | StoreUnavailableError {
  return error instanceof RateLimiterRes ? tooManyFailures(error.msBeforeNext) : new StoreUnavailableError();
}

/**
 * One failure count (per address, or per user at an address) and the blocks this process knows of: a key whose
 * count reached the limit, until its window ends, learned from the counters' own answers to consume and reward.
 *
 * Why a local mirror: a request with a cached credential must still be refused while its client is blocked, and
 * asking counters kept in PostgreSQL would add a round trip to every authenticated request. With in-process
 * counters the mirror is exact (every change passes here). Across replicas, a block reached through other
 * replicas is learned here by this replica's next password check for that client (refused by the shared count),
 * so until then a cached credential still passes here: a blocked guesser gains at most one guess per replica
 * (and only the right password, if cached there). Known blocks are also refused without a query.
 */
class FailureCounter {
  /** Key -> epoch ms when its block ends. */
  private readonly blockedUntil = new Map<string, number>();
  /** Expired blocks that are never read again are swept when the map has doubled since the last sweep. */
  private sweepAt = 1024;

  constructor(private readonly counter: RateLimiterAbstract) {}

  get points(): number {
    return this.counter.points;
  }

  /** Takes a point, or refuses with TooManyLoginFailuresError (none left) or StoreUnavailableError. */
  async consume(key: string): Promise<void> {
    const blockedMs = this.blockedFor(key);
    if (blockedMs > 0) throw tooManyFailures(blockedMs);
    try {
      this.learn(key, await this.counter.consume(key));
    } catch (refused) {
      if (refused instanceof RateLimiterRes) this.learn(key, refused);
      throw refusal(refused);
    }
  }

  /** Gives a point back, or fails with StoreUnavailableError. */
  async reward(key: string): Promise<void> {
    try {
      this.learn(key, await this.counter.reward(key));
    } catch (fault) {
      throw refusal(fault);
    }
  }

  /** How long `key` is still blocked, as far as this process knows; 0 if it is not. */
  blockedFor(key: string): number {
    const until = this.blockedUntil.get(key);
    if (until === undefined) return 0;
    const left = until - Date.now();
    if (left <= 0) this.blockedUntil.delete(key);
    return Math.max(0, left);
  }

  private learn(key: string, state: RateLimiterRes): void {
    if (state.consumedPoints < this.points) {
      this.blockedUntil.delete(key);
      return;
    }
    this.blockedUntil.set(key, Date.now() + state.msBeforeNext);
    if (this.blockedUntil.size >= this.sweepAt) {
      for (const known of this.blockedUntil.keys()) this.blockedFor(known);
      this.sweepAt = Math.max(1024, this.blockedUntil.size * 2);
    }
  }
}

/**
 * Brute-force throttling of logins, counted per client address and per user at that address: a guesser gets
 * 429 while other clients, and that user's logins from elsewhere, go on working. Each password check takes its
 * point before the KDF runs and gives it back if the password was right, so that guesses are bounded however
 * many are sent at once; only failures stay counted. A window opens at an address's (or user's) first point and
 * lasts LOGIN_THROTTLE_SECONDS. The counts are the store's (LoginCounters): shared by every replica on
 * PostgreSQL. Counters that cannot be reached refuse the login with 503, after the pool's timeouts at most.
 */
@Injectable()
export class LoginThrottle {
  private readonly perAddress: FailureCounter;
  private readonly perUserAndAddress: FailureCounter;
  private readonly slots = new CheckSlots();

  constructor(config: AppConfig, counters: LoginCounters) {
    const duration = config.loginThrottleSeconds;
    this.perUserAndAddress = new FailureCounter(
      counters.counter({ keyPrefix: 'login-user-address', points: config.loginFailureLimit, duration }),
    );
    // An address may fail on several users (typos, shared NAT) before it is stopped for all of them.
    this.perAddress = new FailureCounter(
      counters.counter({ keyPrefix: 'login-address', points: config.loginFailureLimit * 4, duration }),
    );
  }

  /**
   * Runs `check` (the password check of `user`, a stable name for the account, from `address`) if the client
   * has failures left and a slot is free, and resolves to its result: what it verified, or undefined for a
   * failure. Refuses with TooManyLoginFailuresError, LoginChecksBusyError or StoreUnavailableError without
   * running it.
   */
  async attempt<T>(
    clientAddress: string,
    user: string,
    check: () => Promise<T | undefined>,
  ): Promise<T | undefined> {
    const address = throttledClient(clientAddress);
    const userKey = this.userKey(address, user);
    await this.consume(address, userKey);
    let release: () => void;
    try {
      release = await this.slots.acquire([`address ${address}`, `user ${user}`]);
    } catch (busy) {
      await this.giveBack(address, userKey); // no password was checked
      throw busy;
    }
    try {
      const verified = await check();
      if (verified !== undefined) await this.giveBack(address, userKey);
      return verified;
    } finally {
      release();
    }
  }

  /**
   * Refuses with 429 a client that has used up its failures, even when it sends a credential already known to
   * be right: otherwise a throttled guesser would still learn which guess is right from a cached credential.
   * Reads only the blocks this process knows of (see FailureCounter): no query on the cached-credential path.
   */
  assertOpen(clientAddress: string, user: string): void {
    const address = throttledClient(clientAddress);
    const waits = [
      this.perUserAndAddress.blockedFor(this.userKey(address, user)),
      this.perAddress.blockedFor(address),
    ];
    if (waits.some((ms) => ms > 0)) throw tooManyFailures(Math.max(...waits));
  }

  /** Takes a point per user at the address, then per address; a refusal by the second gives the first back. */
  private async consume(address: string, userKey: string): Promise<void> {
    await this.perUserAndAddress.consume(userKey);
    try {
      await this.perAddress.consume(address);
    } catch (refused) {
      await this.perUserAndAddress.reward(userKey).catch(() => undefined); // the refusal says it all
      throw refused;
    }
  }

  private async giveBack(address: string, userKey: string): Promise<void> {
    await Promise.all([this.perUserAndAddress.reward(userKey), this.perAddress.reward(address)]);
  }

  private userKey(address: string, user: string): string {
    return `${address}|${user}`;
  }
}
