import type { Role } from './permissions.js';
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
  /**
   * Updates and deletes may take the role their caller's permission was checked against: the write is then
   * refused with `'role_changed'` when the user no longer has it (e.g. promoted to admin meanwhile), in the same
   * atomic step.
   */
  abstract update(uid: number, patch: UserPatch, expectedRole?: Role): Promise<User | UserWriteRefusal>;
  /** Removes the user and returns it as it was. */
  abstract delete(uid: number, expectedRole?: Role): Promise<User | UserWriteRefusal>;
}
