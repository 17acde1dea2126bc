import type { Actor } from '../audit/actor.js';
import { AuditLog } from '../audit/audit-log.js';
import { AppConfig } from '../config/app-config.js';
import { MemoryUsersRepository } from '../storage/memory/memory-users.repository.js';
import { PasswordHasher } from './password-hasher.js';
import type { User } from './user.js';
import { RoleAboveYoursError, UserChangingError } from './users.errors.js';
import { UsersService } from './users.service.js';

/** A store in which an admin changes the user's role right after each read of it, before the caller writes. */
class RoleChangingUnderReads extends MemoryUsersRepository {
  readonly roles: User['role'][] = [];

  override async findByUid(uid: number): Promise<User | undefined> {
    const user = await super.findByUid(uid);
    const role = this.roles.shift();
    if (user && role) await super.update(uid, { role });
    return user;
  }
}

const userManager: Actor = { email: 'manager@example.com', role: 'user_manager', address: '127.0.0.1' };

describe('UsersService: a user manager racing an admin who changes the same user', () => {
  let users: RoleChangingUnderReads;
  let service: UsersService;
  let target: User;

  beforeEach(async () => {
    users = new RoleChangingUnderReads();
    service = new UsersService(users, new PasswordHasher(), new AppConfig({ AUDIT_LOG: 'off' }), {
      record: () => undefined,
    } as unknown as AuditLog);
    await users.insert({
      email: 'admin@example.com',
      name: 'Admin',
      role: 'admin',
      status: 'active',
      passwordHash: 'scrypt$1$1$1$c2FsdA==$a2V5',
      passwordIssueDate: '2026-01-01T00:00:00.000Z',
    });
    target = (await users.insert({
      email: 'viewer@example.com',
      name: 'Viewer',
      role: 'cluster_viewer',
      status: 'active',
      passwordHash: 'scrypt$1$1$1$c2FsdA==$a2V5',
      passwordIssueDate: '2026-01-01T00:00:00.000Z',
    }))!;
  });

  it.each([
    [
      'changing the password of',
      (uid: string) => service.update(uid, { password: 'taken-over-1' }, userManager),
    ],
    ['locking', (uid: string) => service.update(uid, { status: 'locked' }, userManager)],
    ['deleting', (uid: string) => service.remove(uid, userManager)],
  ])('is refused %s a viewer promoted to admin between its check and its write', async (_case, write) => {
    users.roles.push('admin');
    await expect(write(String(target.uid))).rejects.toBeInstanceOf(RoleAboveYoursError);
    expect(await users.findByEmail('viewer@example.com')).toMatchObject({
      role: 'admin',
      status: 'active',
      passwordHash: target.passwordHash,
    });
  });

  it('writes once the role it checked holds, and gives up with 409 while it keeps changing', async () => {
    users.roles.push('db_viewer');
    expect(await service.update(String(target.uid), { name: 'Renamed' }, userManager)).toMatchObject({
      name: 'Renamed',
      role: 'db_viewer',
    });
    users.roles.push('cluster_member', 'db_viewer', 'cluster_member', 'db_viewer', 'cluster_member');
    await expect(service.update(String(target.uid), { name: 'Again' }, userManager)).rejects.toBeInstanceOf(
      UserChangingError,
    );
  });
});
