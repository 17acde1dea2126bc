import { AppConfig } from '../config/app-config.js';
import { LoginThrottle, throttledClient } from './login-throttle.js';

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
    throttle = new LoginThrottle(new AppConfig({ LOGIN_FAILURE_LIMIT: '5' }));
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
    await expect(throttle.assertOpen('10.0.0.1', 'uid 1')).rejects.toMatchObject({
      code: 'too_many_login_failures',
    });
    await expect(throttle.assertOpen('10.0.0.2', 'uid 1')).resolves.toBeUndefined();
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
