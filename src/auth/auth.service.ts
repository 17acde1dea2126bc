import { Injectable, type OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { UnauthorizedError } from './auth.errors.js';
import { CredentialCache } from './credential-cache.js';
import { LoginThrottle } from './login-throttle.js';
import { PasswordHasher } from './password-hasher.js';
import type { User } from './user.js';
import { UsersRepository } from './users.repository.js';

const BASIC = /^Basic[ \t]+([A-Za-z0-9+/=]+)[ \t]*$/i;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/** HTTP Basic authentication: email and password, checked with the slow KDF once per credential. */
@Injectable()
export class AuthService implements OnModuleInit {
  /** Unknown users are checked against this, so that they cost the same time as known ones. */
  private decoyHash = '';
  private readonly verifying = new Map<string, Promise<User>>();

  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly cache: CredentialCache,
    private readonly throttle: LoginThrottle,
  ) {}

  async onModuleInit(): Promise<void> {
    this.decoyHash = await this.hasher.hash(randomBytes(16).toString('base64'));
  }

  /**
   * The active user the Authorization header names, or UnauthorizedError; a wrong email and password look alike.
   * `address` is the client's, for brute-force throttling.
   */
  async authenticate(authorization: string | undefined, address: string): Promise<User> {
    if (!authorization) throw new UnauthorizedError();
    const key = this.cache.keyOf(authorization);
    const cached = this.cache.get(key);
    if (cached) {
      // Re-read on every request: a new password, a lock, a demotion or a deletion applies at once.
      const user = await this.users.findByUid(cached.uid);
      if (user?.passwordHash === cached.passwordHash) return this.activeOnly(user);
      this.cache.delete(key);
    }
    // Concurrent requests with one credential share one run of the KDF instead of queueing one each.
    let verification = this.verifying.get(key);
    if (!verification) {
      verification = this.verify(authorization, key, address).finally(() => this.verifying.delete(key));
      this.verifying.set(key, verification);
    }
    return this.activeOnly(await verification);
  }

  private async verify(authorization: string, key: string, address: string): Promise<User> {
    const { email, password } = this.parse(authorization);
    await this.throttle.check(address, email);
    const user = await this.users.findByEmail(email);
    const valid = await this.hasher.verify(password, user?.passwordHash ?? this.decoyHash);
    if (!user || !valid) {
      await this.throttle.failed(address, email);
      throw new UnauthorizedError();
    }
    await this.throttle.succeeded(address, email);
    this.cache.set(key, user.uid, user.passwordHash);
    return user;
  }

  private activeOnly(user: User): User {
    if (user.status !== 'active') throw new UnauthorizedError();
    return user;
  }

  private parse(authorization: string): { email: string; password: string } {
    const encoded = BASIC.exec(authorization)?.[1];
    if (!encoded) throw new UnauthorizedError();
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    // No control characters: HMAC zero-pads short keys, so to scrypt 'pw' and 'pw\0' are the same password.
    if (colon <= 0 || CONTROL_CHARACTER.test(decoded)) throw new UnauthorizedError();
    return { email: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
}
