import type Database from 'better-sqlite3';
import {
  removesLastAdmin,
  type NewUser,
  type User,
  type UserPatch,
  type UserWriteRefusal,
} from '../../auth/user.js';
import type { Role } from '../../auth/permissions.js';
import { UsersRepository } from '../../auth/users.repository.js';
import { toUser, type UserRow } from '../user-columns.js';

const toRow = (user: User): UserRow => ({
  uid: user.uid,
  email: user.email,
  name: user.name,
  role: user.role,
  status: user.status,
  password_hash: user.passwordHash,
  password_issue_date: user.passwordIssueDate,
});

/**
 * Users in SQLite. Emails are unique through the `email_key` column (the email lower-cased in JavaScript,
 * as the memory backend compares them), so uniqueness holds whatever the case and however inserts race.
 */
export class SqliteUsersRepository extends UsersRepository {
  private readonly countStatement;
  private readonly selectByEmailKey;
  private readonly selectByUid;
  private readonly insertStatement;
  private readonly selectAll;
  private readonly countOtherActiveAdmins;
  private readonly updateStatement;
  private readonly deleteStatement;
  /** Read, check and write in one transaction: the last-admin rule holds however writes race. */
  private readonly updateTransaction;
  private readonly deleteTransaction;

  constructor(db: Database.Database) {
    super();
    this.selectAll = db.prepare<[], UserRow>('SELECT * FROM users ORDER BY uid');
    this.countOtherActiveAdmins = db.prepare<[number], { count: number }>(
      "SELECT COUNT(*) AS count FROM users WHERE role = 'admin' AND status = 'active' AND uid <> ?",
    );
    this.updateStatement = db.prepare<[UserRow], UserRow>(
      `UPDATE users SET name = @name, role = @role, status = @status, password_hash = @password_hash,
         password_issue_date = @password_issue_date
       WHERE uid = @uid RETURNING *`,
    );
    this.deleteStatement = db.prepare<[number]>('DELETE FROM users WHERE uid = ?');
    this.updateTransaction = db.transaction(
      (uid: number, patch: UserPatch, expectedRole?: Role): User | UserWriteRefusal => {
        const current = this.selectByUid.get(uid);
        if (!current) return 'not_found';
        if (expectedRole !== undefined && current.role !== expectedRole) return 'role_changed';
        const updated: User = { ...toUser(current), ...patch };
        if (this.removesLastAdmin(toUser(current), updated)) return 'last_admin';
        return toUser(this.updateStatement.get(toRow(updated))!);
      },
    );
    this.deleteTransaction = db.transaction((uid: number, expectedRole?: Role): User | UserWriteRefusal => {
      const current = this.selectByUid.get(uid);
      if (!current) return 'not_found';
      if (expectedRole !== undefined && current.role !== expectedRole) return 'role_changed';
      if (this.removesLastAdmin(toUser(current), undefined)) return 'last_admin';
      this.deleteStatement.run(uid);
      return toUser(current);
    });
    this.countStatement = db.prepare<[], { count: number }>('SELECT COUNT(*) AS count FROM users');
    this.selectByEmailKey = db.prepare<[string], UserRow>('SELECT * FROM users WHERE email_key = ?');
    this.selectByUid = db.prepare<[number], UserRow>('SELECT * FROM users WHERE uid = ?');
    this.insertStatement = db.prepare<[Omit<UserRow, 'uid'> & { email_key: string }], UserRow>(
      `INSERT INTO users (email, email_key, name, role, status, password_hash, password_issue_date)
       VALUES (@email, @email_key, @name, @role, @status, @password_hash, @password_issue_date)
       ON CONFLICT (email_key) DO NOTHING
       RETURNING *`,
    );
  }

  list(): Promise<User[]> {
    return Promise.resolve(this.selectAll.all().map(toUser));
  }

  update(uid: number, patch: UserPatch, expectedRole?: Role): Promise<User | UserWriteRefusal> {
    return Promise.resolve(this.updateTransaction(uid, patch, expectedRole));
  }

  delete(uid: number, expectedRole?: Role): Promise<User | UserWriteRefusal> {
    return Promise.resolve(this.deleteTransaction(uid, expectedRole));
  }

  private removesLastAdmin(before: User, after: User | undefined): boolean {
    return removesLastAdmin(before, after, () => this.countOtherActiveAdmins.get(before.uid)?.count ?? 0);
  }

  count(): Promise<number> {
    return Promise.resolve(this.countStatement.get()?.count ?? 0);
  }

  findByEmail(email: string): Promise<User | undefined> {
    const row = this.selectByEmailKey.get(email.toLowerCase());
    return Promise.resolve(row && toUser(row));
  }

  findByUid(uid: number): Promise<User | undefined> {
    const row = this.selectByUid.get(uid);
    return Promise.resolve(row && toUser(row));
  }

  insert(user: NewUser): Promise<User | undefined> {
    const row = this.insertStatement.get({
      email: user.email,
      email_key: user.email.toLowerCase(),
      name: user.name,
      role: user.role,
      status: user.status,
      password_hash: user.passwordHash,
      password_issue_date: user.passwordIssueDate,
    });
    return Promise.resolve(row && toUser(row));
  }
}
