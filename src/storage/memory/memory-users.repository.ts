import { Injectable } from '@nestjs/common';
import {
  isActiveAdmin,
  removesLastAdmin,
  type NewUser,
  type User,
  type UserPatch,
  type UserWriteRefusal,
} from '../../auth/user.js';
import type { Role } from '../../auth/permissions.js';
import { UsersRepository } from '../../auth/users.repository.js';

@Injectable()
export class MemoryUsersRepository extends UsersRepository {
  private readonly byUid = new Map<number, User>();
  private nextUid = 1;

  count(): Promise<number> {
    return Promise.resolve(this.byUid.size);
  }

  list(): Promise<User[]> {
    return Promise.resolve([...this.byUid.values()].sort((a, b) => a.uid - b.uid));
  }

  findByEmail(email: string): Promise<User | undefined> {
    return Promise.resolve(this.withEmail(email));
  }

  findByUid(uid: number): Promise<User | undefined> {
    return Promise.resolve(this.byUid.get(uid));
  }

  insert(user: NewUser): Promise<User | undefined> {
    if (this.withEmail(user.email)) return Promise.resolve(undefined);
    const stored: User = { ...user, uid: this.nextUid++ };
    this.byUid.set(stored.uid, stored);
    return Promise.resolve(stored);
  }

  update(uid: number, patch: UserPatch, expectedRole?: Role): Promise<User | UserWriteRefusal> {
    const current = this.byUid.get(uid);
    if (!current) return Promise.resolve('not_found');
    if (expectedRole !== undefined && current.role !== expectedRole) return Promise.resolve('role_changed');
    const updated: User = { ...current, ...patch };
    if (this.removesLastAdmin(current, updated)) return Promise.resolve('last_admin');
    this.byUid.set(uid, updated);
    return Promise.resolve(updated);
  }

  delete(uid: number, expectedRole?: Role): Promise<User | UserWriteRefusal> {
    const current = this.byUid.get(uid);
    if (!current) return Promise.resolve('not_found');
    if (expectedRole !== undefined && current.role !== expectedRole) return Promise.resolve('role_changed');
    if (this.removesLastAdmin(current, undefined)) return Promise.resolve('last_admin');
    this.byUid.delete(uid);
    return Promise.resolve(current);
  }

  private removesLastAdmin(before: User, after: User | undefined): boolean {
    return removesLastAdmin(
      before,
      after,
      () => [...this.byUid.values()].filter((user) => user.uid !== before.uid && isActiveAdmin(user)).length,
    );
  }

  private withEmail(email: string): User | undefined {
    const wanted = email.toLowerCase();
    for (const user of this.byUid.values()) if (user.email.toLowerCase() === wanted) return user;
    return undefined;
  }
}
