import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AppConfig } from '../config/app-config.js';
import { PasswordHasher } from './password-hasher.js';
import { UsersRepository } from './users.repository.js';

export const DEFAULT_ADMIN_EMAIL = 'admin@cluster.local';

@Injectable()
export class UsersService implements OnApplicationBootstrap {
  private readonly logger = new Logger(UsersService.name);

  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly config: AppConfig,
  ) {}

  /** A store without users gets one admin, so that a fresh service can be used at all. */
  async onApplicationBootstrap(): Promise<void> {
    if ((await this.users.count()) > 0) return;
    const email = this.config.adminEmail ?? DEFAULT_ADMIN_EMAIL;
    const password = this.config.adminPassword ?? randomBytes(12).toString('base64url');
    const created = await this.users.insert({
      email,
      name: 'Administrator',
      role: 'admin',
      status: 'active',
      passwordHash: await this.hasher.hash(password),
      passwordIssueDate: new Date().toISOString(),
    });
    if (!created) return; // another replica seeded the store first
    if (this.config.adminPassword) {
      this.logger.log(`Created the first admin user ${email} (password from ADMIN_PASSWORD).`);
    } else {
      this.logger.warn(`Created the first admin user ${email} with the generated password: ${password}`);
    }
  }
}
