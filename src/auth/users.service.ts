import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { Actor } from '../audit/actor.js';
import { AuditLog } from '../audit/audit-log.js';
import { parseUid } from '../common/uid.js';
import { AppConfig } from '../config/app-config.js';
import { InvalidRequestError } from '../errors/domain-error.js';
import type { CreateUserDto, UpdateUserDto } from './dto/user.dto.js';
import { PasswordHasher } from './password-hasher.js';
import type { User, UserPatch, UserWriteRefusal } from './user.js';
import { canManageRole, type Role } from './permissions.js';
import {
  EmailTakenError,
  LastAdminError,
  RoleAboveYoursError,
  UserChangingError,
  UserNotFoundError,
} from './users.errors.js';
import { UsersRepository } from './users.repository.js';

/** A user to create, validated (CreateUserDto's checks). */
export type CreateUser = Readonly<CreateUserDto>;
/** The fields to change, validated (UpdateUserDto's checks); at least one is given. */
export type UpdateUser = Readonly<UpdateUserDto>;

export const DEFAULT_ADMIN_EMAIL = 'admin@cluster.local';

/** How often a user write is checked again when the user's role changed under it before it gives up (409). */
const WRITE_ATTEMPTS = 5;

/**
 * Users and their roles. No cache to invalidate: authentication re-reads the user on every request, so a
 * change applies on the very next request, on every replica that shares the store.
 */
@Injectable()
export class UsersService implements OnApplicationBootstrap {
  private readonly logger = new Logger(UsersService.name);

  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly config: AppConfig,
    private readonly audit: AuditLog,
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

  list(): Promise<User[]> {
    return this.users.list();
  }

  async get(uid: string): Promise<User> {
    const parsed = parseUid(uid);
    const user = parsed === undefined ? undefined : await this.users.findByUid(parsed);
    if (!user) throw new UserNotFoundError(uid);
    return user;
  }

  /** Creates a user from a validated request (the CLI builds the same command). */
  async create(dto: CreateUser, actor: Actor): Promise<User> {
    this.mayManage(actor, dto.role);
    const user = await this.users.insert({
      email: dto.email,
      name: dto.name ?? '',
      role: dto.role,
      status: 'active',
      passwordHash: await this.hasher.hash(dto.password),
      passwordIssueDate: new Date().toISOString(),
    });
    if (!user) throw new EmailTakenError();
    this.audit.record('user.create', actor, { uid: user.uid, email: user.email, role: user.role });
    return user;
  }

  async update(uid: string, dto: UpdateUser, actor: Actor): Promise<User> {
    const changed = Object.keys(dto).filter((field) => dto[field as keyof UpdateUser] !== undefined);
    if (changed.length === 0) {
      throw new InvalidRequestError('Give at least one of password, role, name, status.');
    }
    const { password, ...fields } = dto;
    // Hashed once, and only after the first permission check: a refused change costs no KDF run.
    let patch: UserPatch | undefined;
    const user = await this.writeChecked(uid, actor, dto.role, async (target) => {
      patch ??= password
        ? {
            ...fields,
            passwordHash: await this.hasher.hash(password),
            passwordIssueDate: new Date().toISOString(),
          }
        : fields;
      return this.users.update(target.uid, patch, target.role);
    });
    // Field names only: never a password, and the new values of the rest are on the user.
    this.audit.record('user.update', actor, {
      uid: user.uid,
      email: user.email,
      changed,
      role: user.role,
      status: user.status,
    });
    return user;
  }

  async remove(uid: string, actor: Actor): Promise<User> {
    const user = await this.writeChecked(uid, actor, undefined, (target) =>
      this.users.delete(target.uid, target.role),
    );
    this.audit.record('user.delete', actor, { uid: user.uid, email: user.email });
    return user;
  }

  /**
   * The rule beside the role matrix (canManageRole), enforced here so that every way of writing a user obeys it.
   * The roles are the target's current one and, on create or update, the one to grant.
   */
  private mayManage(actor: Actor, ...roles: (Role | undefined)[]): void {
    for (const role of roles) {
      if (role !== undefined && !canManageRole(actor.role, role)) {
        throw new RoleAboveYoursError(actor.role, role);
      }
    }
  }

  /**
   * Checks the actor may manage the target's role (and `grantedRole`), then writes on the condition that the role
   * is still the one checked; when it changed meanwhile (e.g. an admin promoted the target), checks again against
   * the new role, so that a check and a concurrent promotion can never let a lower role write an admin.
   */
  private async writeChecked(
    uid: string,
    actor: Actor,
    grantedRole: Role | undefined,
    write: (target: User) => Promise<User | UserWriteRefusal>,
  ): Promise<User> {
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const target = await this.get(uid);
      this.mayManage(actor, target.role, grantedRole);
      const result = await write(target);
      if (result === 'not_found') throw new UserNotFoundError(target.uid);
      if (result === 'last_admin') throw new LastAdminError();
      if (result !== 'role_changed') return result;
    }
    throw new UserChangingError(Number(uid));
  }
}
