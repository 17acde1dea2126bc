import type { ModuleMetadata } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { ActionsRepository } from '../../src/actions/actions.repository.js';
import { AppModule } from '../../src/app.module.js';
import { configureApp, logLevelsUpTo } from '../../src/app.setup.js';
import { PasswordHasher } from '../../src/auth/password-hasher.js';
import type { Role } from '../../src/auth/permissions.js';
import type { User } from '../../src/auth/user.js';
import { UsersRepository } from '../../src/auth/users.repository.js';
import { Clock } from '../../src/common/clock.js';
import { AppConfig } from '../../src/config/app-config.js';
import { JsonExpressAdapter } from '../../src/transport/json-reply.js';

export const ADMIN_EMAIL = 'admin@test.local';
export const ADMIN_PASSWORD = 'admin-password';

export interface TestAppOptions {
  /** Environment variables on top of the test defaults (memory store, fast change_master). */
  readonly env?: Record<string, string>;
  /** Extra modules, e.g. one that registers a test action type. */
  readonly imports?: ModuleMetadata['imports'];
  /** Replaces the store's actions repository, e.g. with one that fails on command. */
  readonly actionsRepository?: ActionsRepository;
  /** Replaces the clock, e.g. with one the test moves past an expiry. */
  readonly clock?: Clock;
}

export interface TestApp {
  readonly app: NestExpressApplication;
  /** supertest against the running app. */
  readonly http: TestAgent;
  /** `[email, password]` of the seeded admin, for `.auth(...)`. */
  readonly admin: readonly [string, string];
  /** Creates a user with `role` and returns its `[email, password]`. */
  userWithRole(role: Role, overrides?: Partial<User>): Promise<readonly [string, string]>;
  close(): Promise<void>;
}

/** Boots the real application (same HTTP set-up as main.ts) on an ephemeral port. */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const config = new AppConfig({
    DATABASE_URL: 'memory:',
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    CHANGE_MASTER_STEP_MS: '20',
    // Tests provoke errors on purpose; they assert outcomes, not log lines.
    LOG_LEVEL: 'fatal',
    AUDIT_LOG: 'off',
    // Closing the app waits this long for runs still going (a gated handler that ignores its signal).
    SHUTDOWN_GRACE_MS: '200',
    ...options.env,
  });
  const builder = Test.createTestingModule({
    imports: [AppModule.forRoot(config), ...(options.imports ?? [])],
  });
  if (options.actionsRepository)
    builder.overrideProvider(ActionsRepository).useValue(options.actionsRepository);
  if (options.clock) builder.overrideProvider(Clock).useValue(options.clock);
  const moduleRef = await builder.compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>(new JsonExpressAdapter(), {
    bodyParser: false,
    logger: logLevelsUpTo(config.logLevel),
  });
  configureApp(app, config);
  await app.listen(0, '127.0.0.1');
  const http = request.agent(app.getHttpServer());
  let users = 0;
  return {
    app,
    http,
    admin: [ADMIN_EMAIL, ADMIN_PASSWORD],
    async userWithRole(role, overrides = {}) {
      const email = `${role}-${++users}@test.local`;
      const password = `${role}-password`;
      await app.get(UsersRepository).insert({
        email,
        name: role,
        role,
        status: 'active',
        passwordHash: await app.get(PasswordHasher).hash(password),
        passwordIssueDate: new Date().toISOString(),
        ...overrides,
      });
      return [email, password];
    },
    close: () => app.close(),
  };
}
