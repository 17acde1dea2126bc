import { RateLimiterMemory, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { AppConfig } from '../config/app-config.js';
import { TooManyLoginFailuresError } from './auth.errors.js';
import { InProcessLoginCounters, LoginCounters, type LoginCounterOptions } from './login-counters.js';
import { LoginThrottle, throttledClient } from './login-throttle.js';

/** One set of counters that several throttles (replicas) share, as they share a database. */
class SharedCounters extends LoginCounters {
  private readonly counters = new Map<string, RateLimiterAbstract>();

  counter(options: LoginCounterOptions): RateLimiterAbstract {
    let counter = this.counters.get(options.keyPrefix);
    if (!counter) this.counters.set(options.keyPrefix, (counter = new RateLimiterMemory(options)));
    return counter;
  }
}

/** Counters whose store does not answer. */
class DownCounters extends LoginCounters {
  counter(options: LoginCounterOptions): RateLimiterAbstract {
    const counter = new RateLimiterMemory(options);
    const down = () => Promise.reject(new Error('connection terminated'));
    return Object.assign(counter, { consume: down, reward: down });
  }
}

/** A password check held open until `settle` is called with its result (a verified value, or undefined). */
function heldCheck() {
  let settle!: (verified: string | undefined) => void;
  const result = new Promise<string | undefined>((resolve) => (settle = resolve));
  let started = false;
  const check = () => {
    started = true;
    return result;
  };
  return { check, settle, started: () => started };
}

const codeOf = async (attempt: Promise<unknown>): Promise<string> =>
  attempt.then(
    () => 'checked',
    (error: { code: string }) => error.code,
  );

describe('LoginThrottle', () => {
  let throttle: LoginThrottle;

  beforeEach(() => {
    throttle = new LoginThrottle(new AppConfig({ LOGIN_FAILURE_LIMIT: '5' }), new InProcessLoginCounters());
  });

  const fail = (address = '10.0.0.1', user = 'uid 1') =>
    throttle.attempt(address, user, () => Promise.resolve(undefined));

  it('takes the point before the check: parallel failures never exceed the limit', async () => {
    const codes = await Promise.all(Array.from({ length: 30 }, () => codeOf(fail())));
    expect(codes.filter((code) => code === 'checked').length).toBeLessThanOrEqual(5);
    expect(codes.filter((code) => code === 'too_many_login_failures').length).toBeGreaterThanOrEqual(25);
  });

  it('refuses a third check in flight from one client, without taking its point', async () => {
    const held = [heldCheck(), heldCheck()];
    const running = held.map(({ check }, i) => throttle.attempt('10.0.0.1', `uid ${i}`, check));
    expect(await codeOf(throttle.attempt('10.0.0.1', 'uid 9', () => Promise.resolve(undefined)))).toBe(
      'login_checks_busy',
    );
    held.forEach(({ settle }) => settle(undefined));
    await Promise.all(running);
    // Two failures so far for the address; the refused check cost nothing.
    for (let i = 0; i < 18; i++) await fail('10.0.0.1', `uid ${10 + i}`);
    expect(await codeOf(fail('10.0.0.1', 'uid 99'))).toBe('too_many_login_failures');
  });

  it('refuses a third check in flight for one user, whatever the client', async () => {
    const held = [heldCheck(), heldCheck()];
    const running = held.map(({ check }, i) => throttle.attempt(`10.0.0.${i}`, 'uid 1', check));
    expect(await codeOf(fail('10.0.0.9', 'uid 1'))).toBe('login_checks_busy');
    held.forEach(({ settle }) => settle(undefined));
    await Promise.all(running);
  });

  it('runs a few checks at once, lets a bounded number wait, and refuses the rest', async () => {
    const held = Array.from({ length: 40 }, () => heldCheck());
    const attempts = held.map(({ check }, i) => codeOf(throttle.attempt(`10.0.1.${i}`, `uid ${i}`, check)));
    await new Promise((resolve) => setImmediate(resolve));
    const running = held.filter(({ started }) => started()).length;
    expect(running).toBeGreaterThanOrEqual(1);
    expect(running).toBeLessThanOrEqual(4);
    held.forEach(({ settle }) => settle('user'));
    const codes = await Promise.all(attempts);
    const busy = codes.filter((code) => code === 'login_checks_busy').length;
    expect(busy).toBe(40 - running - 16);
    expect(codes.filter((code) => code === 'checked').length).toBe(running + 16);
  });

  it('gives the point back for a right password', async () => {
    for (let i = 0; i < 20; i++) await throttle.attempt('10.0.0.1', 'uid 1', () => Promise.resolve('user'));
    for (let i = 0; i < 5; i++) expect(await codeOf(fail())).toBe('checked');
    expect(await codeOf(fail())).toBe('too_many_login_failures');
  });

  it('refuses a blocked client even for a credential known to be right', async () => {
    for (let i = 0; i < 5; i++) await fail();
    expect(() => throttle.assertOpen('10.0.0.1', 'uid 1')).toThrow(TooManyLoginFailuresError);
    expect(() => throttle.assertOpen('10.0.0.2', 'uid 1')).not.toThrow();
  });

  it('adds up the failures of replicas that share counters, and refuses on each once it has seen the block', async () => {
    const shared = new SharedCounters();
    const config = new AppConfig({ LOGIN_FAILURE_LIMIT: '5' });
    const replicas = [new LoginThrottle(config, shared), new LoginThrottle(config, shared)];
    for (let i = 0; i < 5; i++) {
      expect(
        await codeOf(replicas[i % 2].attempt('10.0.0.1', 'uid 1', () => Promise.resolve(undefined))),
      ).toBe('checked');
    }
    for (const replica of replicas) {
      expect(await codeOf(replica.attempt('10.0.0.1', 'uid 1', () => Promise.resolve('user')))).toBe(
        'too_many_login_failures',
      );
      expect(() => replica.assertOpen('10.0.0.1', 'uid 1')).toThrow(TooManyLoginFailuresError);
    }
  });

  it('refuses with store_unavailable when the counters do not answer, without running the check', async () => {
    const down = new LoginThrottle(new AppConfig({}), new DownCounters());
    let checked = false;
    const attempt = down.attempt('10.0.0.1', 'uid 1', () => Promise.resolve((checked = true)));
    await expect(attempt).rejects.toMatchObject({ code: 'store_unavailable' });
    expect(checked).toBe(false);
  });

  it('counts a whole IPv6 /64 as one client', async () => {
    for (let i = 0; i < 5; i++) await fail(`2001:db8:1:2::${i + 1}`);
    expect(await codeOf(fail('2001:db8:1:2:ffff::9'))).toBe('too_many_login_failures');
    expect(await codeOf(fail('2001:db8:1:3::1'))).toBe('checked');
  });

  it.each([
    ['192.0.2.1', '192.0.2.1'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:0DB8:0001:0002::', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['1::2:3:4:5.6.7.8', '1:0:0:2::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
  ])('the client of %s is %s', (address, client) => {
    expect(throttledClient(address)).toBe(client);
  });
});
