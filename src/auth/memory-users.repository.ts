import { Injectable } from '@nestjs/common';
import type { NewUser, User } from './user.js';
import { UsersRepository } from './users.repository.js';

@Injectable()
export class MemoryUsersRepository extends UsersRepository {
  private readonly byUid = new Map<number, User>();
  private nextUid = 1;

  count(): Promise<number> {
    return Promise.resolve(this.byUid.size);
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

  private withEmail(email: string): User | undefined {
    const wanted = email.toLowerCase();
    for (const user of this.byUid.values()) if (user.email.toLowerCase() === wanted) return user;
    return undefined;
  }
}
