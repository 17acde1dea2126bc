import type { Role } from '../auth/permissions.js';
import type { User, UserStatus } from '../auth/user.js';

/** A row of `users` in both SQL backends: the user's fields in snake_case. */
export interface UserRow {
  uid: number;
  email: string;
  name: string;
  role: Role;
  status: UserStatus;
  password_hash: string;
  password_issue_date: string;
}

export const toUser = (row: UserRow): User => ({
  uid: row.uid,
  email: row.email,
  name: row.name,
  role: row.role,
  status: row.status,
  passwordHash: row.password_hash,
  passwordIssueDate: row.password_issue_date,
});
