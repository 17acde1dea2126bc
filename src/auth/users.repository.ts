import type { NewUser, User } from './user.js';

/** Where users live. Emails are unique, compared case-insensitively. */
export abstract class UsersRepository {
  abstract count(): Promise<number>;
  abstract findByEmail(email: string): Promise<User | undefined>;
  abstract findByUid(uid: number): Promise<User | undefined>;
  /** Stores a new user with the next uid; `undefined` when the email is taken. */
  abstract insert(user: NewUser): Promise<User | undefined>;
}
