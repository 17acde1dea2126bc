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

export type NewUser = Omit<User, 'uid'>;
