import { Injectable, type OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { UnauthorizedError } from './auth.errors.js';
import { CredentialCache } from './credential-cache.js';
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

  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly cache: CredentialCache,
  ) {}

  async onModuleInit(): Promise<void> {
    this.decoyHash = await this.hasher.hash(randomBytes(16).toString('base64'));
  }

  /** The active user the Authorization header names, or UnauthorizedError; a wrong email and password look alike. */
  async authenticate(authorization: string | undefined): Promise<User> {
    if (!authorization) throw new UnauthorizedError();
    const key = this.cache.keyOf(authorization);
    const cached = this.cache.get(key);
    if (cached) {
      const user = await this.users.findByUid(cached.uid);
      if (user?.passwordHash === cached.passwordHash) return this.activeOnly(user);
      this.cache.delete(key);
    }
    const credentials = this.parse(authorization);
    const user = await this.users.findByEmail(credentials.email);
    const valid = await this.hasher.verify(credentials.password, user?.passwordHash ?? this.decoyHash);
    if (!user || !valid) throw new UnauthorizedError();
    this.cache.set(key, user.uid, user.passwordHash);
    return this.activeOnly(user);
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
