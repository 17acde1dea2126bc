import type { User } from '../../auth/user.js';
import type { PostgresNotifications } from './postgres-notifications.js';

/** The channel every replica of one database announces user writes on; the payload is the user's email_key. */
export const USER_CHANGES_CHANNEL = 'cluster_actions_users';

const MAX_ENTRIES = 10_000;

/**
 * Users by email_key, so that an authenticated request costs no round trip for its user (the budget leaves one,
 * for what the request asks). Every user write NOTIFYs the key in its transaction, and every replica evicts it on
 * receipt: a new password, lock, demotion or deletion applies on every replica within the notification latency.
 * The cache is trusted only while the LISTEN connection is up: it is emptied and bypassed from the moment the
 * connection is lost until it listens again, since notifications sent meanwhile never arrive. Misses are not
 * kept (an unknown email costs a KDF run anyway), so an insert makes nothing stale.
 */
export class PostgresUserCache {
  private readonly users = new Map<string, User>();
  private trusted: boolean;
  /**
   * Bumped by every eviction and every change of the connection: a read that started before one may carry the
   * state from before the write, and is not kept.
   */
  private generation = 0;

  constructor(notifications: PostgresNotifications) {
    this.trusted = notifications.listening;
    notifications.on(USER_CHANGES_CHANNEL, (key) => this.evict(key));
    notifications.onStateChange((listening) => {
      this.trusted = listening;
      this.users.clear();
      this.generation++;
    });
  }

  /** The user under `key`, from the cache or else from `read` (remembered when nothing changed meanwhile). */
  async get(key: string, read: () => Promise<User | undefined>): Promise<User | undefined> {
    const cached = this.trusted ? this.users.get(key) : undefined;
    if (cached) return cached;
    const generation = this.generation;
    const user = await read();
    if (user && this.trusted && generation === this.generation) {
      if (this.users.size >= MAX_ENTRIES) this.users.delete(this.users.keys().next().value as string);
      this.users.set(key, user);
    }
    return user;
  }

  /** Forgets `key`: called on a notification, and by this process's own writes as soon as they commit. */
  evict(key: string): void {
    this.users.delete(key);
    this.generation++;
  }
}
