import type { Role } from './permissions.js';

export const USER_STATUSES = ['active', 'locked'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

/** A user as stored. `passwordHash` never leaves the auth feature. */
export interface User {
  readonly uid: number;
  readonly email: string;
  readonly name: string;
  readonly role: Role;
  readonly status: UserStatus;
  readonly passwordHash: string;
  readonly passwordIssueDate: string;
}

/**
 * Why an email cannot be a user's sign-in name, or `undefined` when it can. Emails are printable ASCII only, so
 * that no two addresses look alike (a full-width `ａ`, a dotless `ı`, two encodings of `á`) and the
 * case-insensitive comparison the stores make is exact; and without `:`, which HTTP Basic reads as the end of
 * the email. Shared by user creation and ADMIN_EMAIL.
 */
export function emailCharacterProblem(email: string): string | undefined {
  if (!/^[\x21-\x7e]*$/.test(email)) {
    return 'must contain only ASCII letters, digits and punctuation (no spaces, no accented or other Unicode letters)';
  }
  if (email.includes(':')) return "must not contain ':' (HTTP Basic reads it as the end of the email)";
  return undefined;
}

export type NewUser = Omit<User, 'uid'>;

/** The fields an update may change. */
export type UserPatch = Partial<
  Pick<User, 'name' | 'role' | 'status' | 'passwordHash' | 'passwordIssueDate'>
>;

/**
 * Refused writes: the user is gone, the write would leave the service without an active admin, or the user no
 * longer has the role the write was checked against (`expectedRole`).
 */
export type UserWriteRefusal = 'not_found' | 'last_admin' | 'role_changed';

export const isActiveAdmin = (user: Pick<User, 'role' | 'status'>): boolean =>
  user.role === 'admin' && user.status === 'active';

/**
 * Whether replacing `before` with `after` (or deleting it, when `after` is undefined) removes the last active
 * admin. `otherActiveAdmins` is only asked when it matters.
 */
export function removesLastAdmin(
  before: User,
  after: User | undefined,
  otherActiveAdmins: () => number,
): boolean {
  if (!isActiveAdmin(before) || (after && isActiveAdmin(after))) return false;
  return otherActiveAdmins() === 0;
}
