import { Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { AuthService } from './auth.service.js';
import { CredentialCache } from './credential-cache.js';
import { InProcessLoginCounters } from './login-counters.js';
import { LoginThrottle } from './login-throttle.js';
import { MemoryUsersRepository } from '../storage/memory/memory-users.repository.js';
import { PasswordHasher } from './password-hasher.js';

const basic = (email: string, password: string) =>
  `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}`;

describe('AuthService and its credential cache', () => {
  beforeAll(() => {
    Logger.overrideLogger(false);
  });
  afterAll(() => {
    Logger.overrideLogger(true);
  });

  let users: MemoryUsersRepository;
  let hasher: PasswordHasher;
  let auth: AuthService;
  /** KDF runs since the test's users were set up. */
  let kdfRuns: () => number;
  let uid: number;

  beforeEach(async () => {
    users = new MemoryUsersRepository();
    hasher = new PasswordHasher();
    auth = new AuthService(
      users,
      hasher,
      new CredentialCache(),
      new LoginThrottle(new AppConfig({}), new InProcessLoginCounters()),
    );
    await auth.onModuleInit();
    const user = await users.insert({
      email: 'ops@example.com',
      name: 'Ops',
      role: 'admin',
      status: 'active',
      passwordHash: await hasher.hash('right-password'),
      passwordIssueDate: '2026-01-01T00:00:00.000Z',
    });
    uid = user!.uid;
    // Another active admin, so that this one may be locked, demoted or deleted.
    await users.insert({
      email: 'other@example.com',
      name: 'Other',
      role: 'admin',
      status: 'active',
      passwordHash: 'x',
      passwordIssueDate: '2026-01-01T00:00:00.000Z',
    });
    const before = hasher.verifications;
    kdfRuns = () => hasher.verifications - before;
  });

  const login = (password = 'right-password') =>
    auth.authenticate(basic('ops@example.com', password), '10.0.0.1');

  it('runs the KDF once for a credential, then serves it from the cache', async () => {
    for (let i = 0; i < 5; i++) expect((await login()).uid).toBe(uid);
    expect(kdfRuns()).toBe(1);
  });

  it('shares one KDF run between concurrent requests with one credential', async () => {
    await Promise.all(Array.from({ length: 20 }, () => login()));
    expect(kdfRuns()).toBe(1);
  });

  it('drops a cached credential as soon as the password changes', async () => {
    await login();
    await users.update(uid, { passwordHash: await hasher.hash('new-password') });
    await expect(login()).rejects.toMatchObject({ code: 'unauthorized' });
    expect((await login('new-password')).uid).toBe(uid);
  });

  it('refuses a cached credential of a user that is locked, and accepts it again once unlocked', async () => {
    await login();
    await users.update(uid, { status: 'locked' });
    await expect(login()).rejects.toMatchObject({ code: 'unauthorized' });
    await users.update(uid, { status: 'active' });
    expect((await login()).status).toBe('active');
  });

  it('serves the new role of a cached credential at once', async () => {
    await login();
    await users.update(uid, { role: 'cluster_viewer' });
    expect((await login()).role).toBe('cluster_viewer');
  });

  it('refuses a cached credential of a deleted user', async () => {
    await login();
    await users.delete(uid);
    await expect(login()).rejects.toMatchObject({ code: 'unauthorized' });
  });

  it('runs the KDF for an unknown user too, so that it costs the same', async () => {
    await expect(auth.authenticate(basic('nobody@example.com', 'pw'), '10.0.0.1')).rejects.toMatchObject({
      code: 'unauthorized',
    });
    expect(kdfRuns()).toBe(1);
  });

  it('never caches a wrong password', async () => {
    await expect(login('wrong-password')).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(login('wrong-password')).rejects.toMatchObject({ code: 'unauthorized' });
    expect(kdfRuns()).toBe(2);
  });

  it('treats every spelling of one credential as one: one KDF run, one cache entry', async () => {
    const token = Buffer.from('OPS@Example.com:right-password').toString('base64');
    for (const header of [
      `basic ${token}`,
      `BASIC\t${token}==`,
      `Basic   ${token}=`,
      basic('ops@example.com', 'right-password'),
    ]) {
      expect((await auth.authenticate(header, '10.0.0.1')).uid).toBe(uid);
    }
    expect(kdfRuns()).toBe(1);
  });

  it('runs the KDF for every attempt of a locked user, right password or not, and never caches it', async () => {
    await users.update(uid, { status: 'locked' });
    await expect(login()).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(login()).rejects.toMatchObject({ code: 'unauthorized' });
    expect(kdfRuns()).toBe(2);
  });

  it("counts a locked user's right password as a failure", async () => {
    await users.update(uid, { status: 'locked' });
    for (let i = 0; i < 5; i++) await expect(login()).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(login()).rejects.toMatchObject({ code: 'too_many_login_failures' });
  });

  it('takes the throttle point before the KDF runs, so parallel guesses are bounded', async () => {
    const answers = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => login(`guess-${i}`)));
    const codes = answers.map((answer) => (answer as PromiseRejectedResult).reason as { code: string });
    expect(codes.filter(({ code }) => code === 'unauthorized').length).toBeLessThanOrEqual(5);
    expect(kdfRuns()).toBeLessThanOrEqual(5);
  });

  it('gives the point back when the password is right', async () => {
    for (let i = 0; i < 4; i++)
      await expect(login(`guess-${i}`)).rejects.toMatchObject({ code: 'unauthorized' });
    for (let i = 0; i < 3; i++) {
      await users.update(uid, { passwordHash: await hasher.hash(`password-${i}`) }); // uncached each time
      expect((await login(`password-${i}`)).uid).toBe(uid);
    }
    await expect(login('guess-5')).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(login('guess-6')).rejects.toMatchObject({ code: 'too_many_login_failures' });
  });
});
