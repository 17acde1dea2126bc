import type { NewUser, User, UserPatch, UserWriteRefusal } from './user.js';

/**
 * Where users live. Emails are unique, compared case-insensitively. Every update and delete keeps at least
 * one active admin, atomically: a write that would remove the last one is refused with `'last_admin'`,
 * however many writes race.
 */
export abstract class UsersRepository {
  abstract count(): Promise<number>;
  /** Every user, ordered by uid. */
  abstract list(): Promise<User[]>;
  abstract findByEmail(email: string): Promise<User | undefined>;
  abstract findByUid(uid: number): Promise<User | undefined>;
  /** Stores a new user with the next uid (never reused); `undefined` when the email is taken. */
  abstract insert(user: NewUser): Promise<User | undefined>;
  abstract update(uid: number, patch: UserPatch): Promise<User | UserWriteRefusal>;
  /** Removes the user and returns it as it was. */
  abstract delete(uid: number): Promise<User | UserWriteRefusal>;
}
