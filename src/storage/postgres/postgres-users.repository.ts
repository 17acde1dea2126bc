import type pg from 'pg';
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
import { toUser, type UserRow } from '../user-columns.js';
import { inTransaction } from './postgres-transaction.js';
import { type PostgresUserCache, USER_CHANGES_CHANNEL } from './postgres-user-cache.js';
import { preparedQuery } from './prepared-query.js';

const USER_COLUMNS = 'uid, email, name, role, status, password_hash, password_issue_date';

/**
 * Users in PostgreSQL. Emails are unique through `email_key` (the email lower-cased in JavaScript, as the other
 * backends compare them). The last-admin rule is a read-check-write: an update or delete first locks the target
 * and every active admin (FOR UPDATE, in uid order so two writers never deadlock), so of two admins demoting each
 * other at once the second waits, then sees the first one's write and is refused.
 *
 * Every authenticated request looks its user up by email, so that a new password, a lock, a demotion or a deletion
 * applies at once: with `cache` that lookup costs no round trip (see PostgresUserCache), and a GET of a run stays
 * at one. (The alternative, reading the user and the run in one statement, would tie the auth guard to every
 * route's query; the cache keeps the ports as they are and also serves the routes that read no run.) Every update
 * and delete NOTIFYs the user's key in its transaction, whether or not this replica caches.
 */
export class PostgresUsersRepository extends UsersRepository {
  constructor(
    private readonly pool: pg.Pool,
    private readonly cache?: PostgresUserCache,
  ) {
    super();
  }

  async count(): Promise<number> {
    const rows = await preparedQuery<{ count: number }>(
      this.pool,
      'SELECT COUNT(*)::integer AS count FROM users',
    );
    return rows[0].count;
  }

  async list(): Promise<User[]> {
    const rows = await preparedQuery<UserRow>(this.pool, `SELECT ${USER_COLUMNS} FROM users ORDER BY uid`);
    return rows.map(toUser);
  }

  findByEmail(email: string): Promise<User | undefined> {
    const key = email.toLowerCase();
    return this.cache ? this.cache.get(key, () => this.readByEmail(key)) : this.readByEmail(key);
  }

  // Every authenticated request whose user is not cached reads it: a prepared statement.
  private async readByEmail(key: string): Promise<User | undefined> {
    const [row] = await preparedQuery<UserRow>(
      this.pool,
      `SELECT ${USER_COLUMNS} FROM users WHERE email_key = $1`,
      [key],
    );
    return row && toUser(row);
  }

  async findByUid(uid: number): Promise<User | undefined> {
    const [row] = await preparedQuery<UserRow>(
      this.pool,
      `SELECT ${USER_COLUMNS} FROM users WHERE uid = $1`,
      [uid],
    );
    return row && toUser(row);
  }

  async insert(user: NewUser): Promise<User | undefined> {
    const rows = await preparedQuery<UserRow>(
      this.pool,
      `INSERT INTO users (email, email_key, name, role, status, password_hash, password_issue_date)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (email_key) DO NOTHING
       RETURNING ${USER_COLUMNS}`,
      [
        user.email,
        user.email.toLowerCase(),
        user.name,
        user.role,
        user.status,
        user.passwordHash,
        user.passwordIssueDate,
      ],
    );
    return rows[0] && toUser(rows[0]);
  }

  update(uid: number, patch: UserPatch, expectedRole?: Role): Promise<User | UserWriteRefusal> {
    return this.guarded(uid, expectedRole, (current) => ({ ...current, ...patch }));
  }

  delete(uid: number, expectedRole?: Role): Promise<User | UserWriteRefusal> {
    return this.guarded(uid, expectedRole, () => undefined);
  }

  /**
   * One transaction: locks the user `uid` and every active admin, replaces the user with `change(user)` (or
   * deletes it when that is undefined) unless the user's role is no longer `expectedRole` or the change removes
   * the last active admin. Returns the user as updated, or as it was when deleted.
   */
  private async guarded(
    uid: number,
    expectedRole: Role | undefined,
    change: (current: User) => User | undefined,
  ): Promise<User | UserWriteRefusal> {
    const result = await inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<UserRow>(
        `SELECT ${USER_COLUMNS} FROM users WHERE uid = $1 OR (role = 'admin' AND status = 'active')
         ORDER BY uid FOR UPDATE`,
        [uid],
      );
      const locked = rows.map(toUser);
      const current = locked.find((user) => user.uid === uid);
      if (!current) return 'not_found';
      if (expectedRole !== undefined && current.role !== expectedRole) return 'role_changed';
      return this.write(client, current, change(current), locked);
    });
    // This replica's next request must not wait for its own notification to come back.
    if (typeof result === 'object') this.cache?.evict(result.email.toLowerCase());
    return result;
  }

  private async write(
    client: pg.PoolClient,
    current: User,
    after: User | undefined,
    locked: readonly User[],
  ): Promise<User | UserWriteRefusal> {
    const otherActiveAdmins = (): number =>
      locked.filter((user) => user.uid !== current.uid && isActiveAdmin(user)).length;
    if (removesLastAdmin(current, after, otherActiveAdmins)) return 'last_admin';
    // Delivered to the other replicas when (and only if) the transaction commits.
    await client.query('SELECT pg_notify($1, $2)', [USER_CHANGES_CHANNEL, current.email.toLowerCase()]);
    if (!after) {
      await client.query('DELETE FROM users WHERE uid = $1', [current.uid]);
      return current;
    }
    const { rows } = await client.query<UserRow>(
      `UPDATE users SET name = $2, role = $3, status = $4, password_hash = $5, password_issue_date = $6
       WHERE uid = $1 RETURNING ${USER_COLUMNS}`,
      [after.uid, after.name, after.role, after.status, after.passwordHash, after.passwordIssueDate],
    );
    return toUser(rows[0]);
  }
}
