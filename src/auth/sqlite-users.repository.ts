import type Database from 'better-sqlite3';
import type { Role } from './permissions.js';
import type { NewUser, User, UserStatus } from './user.js';
import { UsersRepository } from './users.repository.js';

interface UserRow {
  uid: number;
  email: string;
  name: string;
  role: Role;
  status: UserStatus;
  password_hash: string;
  password_issue_date: string;
}

const toUser = (row: UserRow): User => ({
  uid: row.uid,
  email: row.email,
  name: row.name,
  role: row.role,
  status: row.status,
  passwordHash: row.password_hash,
  passwordIssueDate: row.password_issue_date,
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

  constructor(db: Database.Database) {
    super();
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
