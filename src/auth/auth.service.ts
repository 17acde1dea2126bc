import { Injectable, Optional, type OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Metrics } from '../observability/metrics/metrics.js';
import { LoginChecksBusyError, TooManyLoginFailuresError, UnauthorizedError } from './auth.errors.js';
import { CredentialCache } from './credential-cache.js';
import { LoginThrottle } from './login-throttle.js';
import { PasswordHasher } from './password-hasher.js';
import { emailCharacterProblem, type User } from './user.js';
import { UsersRepository } from './users.repository.js';

const BASIC = /^Basic[ \t]+([A-Za-z0-9+/=]+)[ \t]*$/i;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/**
 * HTTP Basic authentication: email and password, checked with the slow KDF once per credential. Every failure
 * (malformed header aside) costs one KDF run and one throttle point, whether the user is unknown, locked or
 * gave a wrong password, so that none can be told apart.
 */
@Injectable()
export class AuthService implements OnModuleInit {
  /** Unknown users are checked against this, so that they cost the same time as known ones. */
  private decoyHash = '';
  /** Password checks in flight, by client address and credential: the verified user, or undefined. */
  private readonly checking = new Map<string, Promise<User | undefined>>();

  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly cache: CredentialCache,
    private readonly throttle: LoginThrottle,
    @Optional() private readonly metrics?: Metrics,
  ) {}

  async onModuleInit(): Promise<void> {
    this.decoyHash = await this.hasher.hash(randomBytes(16).toString('base64'));
  }

  /**
   * The active user the Authorization header names, or UnauthorizedError; a wrong email and password look alike.
   * `address` is the client's, for brute-force throttling.
   */
  async authenticate(authorization: string | undefined, address: string): Promise<User> {
    try {
      return await this.authenticateOnce(authorization, address);
    } catch (error) {
      if (error instanceof TooManyLoginFailuresError || error instanceof LoginChecksBusyError) {
        this.metrics?.loginsRefused.inc({ error_code: error.code });
      }
      throw error;
    }
  }

  private async authenticateOnce(authorization: string | undefined, address: string): Promise<User> {
    const { email, password } = this.parse(authorization);
    // Looked up on every request, so a new password, a lock, a demotion or a deletion applies at once (on
    // PostgreSQL within milliseconds on every replica: its adapter caches users and evicts them on notification).
    const user = await this.users.findByEmail(email);
    // The account as the store resolved it, so that every spelling of an email is one cache entry and one
    // throttle counter; an unknown email is throttled under its own name.
    const account = user ? `uid ${user.uid}` : `email ${email.toLowerCase()}`;
    const key = this.cache.keyOf(account, password);
    if (user?.status === 'active' && this.cache.holds(key, user.passwordHash)) {
      this.throttle.assertOpen(address, account);
      this.metrics?.credentialCacheHits.inc();
      return user;
    }
    // Concurrent requests from one client with one credential (in any spelling) share one check: one guess.
    const flight = `${address} ${key}`;
    let check = this.checking.get(flight);
    if (!check) {
      check = this.check(address, account, user, key, password).finally(() => this.checking.delete(flight));
      this.checking.set(flight, check);
    }
    const verified = await check;
    if (!verified) throw new UnauthorizedError();
    return verified;
  }

  private check(
    address: string,
    account: string,
    user: User | undefined,
    key: string,
    password: string,
  ): Promise<User | undefined> {
    return this.throttle.attempt(address, account, async () => {
      // A locked user's right password is a failure like any other: same KDF run, not cached, still counted.
      this.metrics?.passwordChecks.inc();
      const right = await this.hasher.verify(password, user?.passwordHash ?? this.decoyHash);
      if (!right || user?.status !== 'active') return undefined;
      this.cache.set(key, user.passwordHash);
      return user;
    });
  }

  private parse(authorization: string | undefined): { email: string; password: string } {
    const encoded = authorization && BASIC.exec(authorization)?.[1];
    if (!encoded) throw new UnauthorizedError();
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    // No control characters: HMAC zero-pads short keys, so to scrypt 'pw' and 'pw\0' are the same password.
    if (colon <= 0 || CONTROL_CHARACTER.test(decoded)) throw new UnauthorizedError();
    const email = decoded.slice(0, colon);
    // No account has such an email, and lower-casing one could reach another's (the Kelvin sign becomes 'k').
    if (emailCharacterProblem(email)) throw new UnauthorizedError();
    return { email, password: decoded.slice(colon + 1) };
  }
}
