import type { Backend } from '../backend.js';
import { PostgresActionsRepository } from './postgres-actions.repository.js';
import { DatabaseUnreachableError, openPostgresDatabase, type PostgresOptions } from './postgres-database.js';
import { PostgresLoginCounters } from './postgres-login-counters.js';
import { PostgresNodesRepository } from './postgres-nodes.repository.js';
import { PostgresNotifications } from './postgres-notifications.js';
import { PostgresRunEvents } from './postgres-run-events.js';
import { PostgresUserCache } from './postgres-user-cache.js';
import { PostgresUsersRepository } from './postgres-users.repository.js';

/**
 * A PostgreSQL database shared by every replica: a pool for the repositories, one more connection to LISTEN for
 * the other replicas' run and user changes.
 */
export async function openPostgresBackend(options: PostgresOptions): Promise<Backend> {
  const pool = await openPostgresDatabase(options);
  const actions = new PostgresActionsRepository(pool);
  const notifications = new PostgresNotifications(options.url);
  const events = new PostgresRunEvents(notifications, pool, (uid) => actions.findByUid(uid));
  const users = new PostgresUsersRepository(pool, new PostgresUserCache(notifications));
  try {
    await notifications.start();
  } catch (error) {
    await pool.end();
    throw new DatabaseUnreachableError(options.url, error);
  }
  return {
    actions,
    users,
    nodes: new PostgresNodesRepository(pool),
    events,
    loginCounters: new PostgresLoginCounters(pool),
    async close() {
      await events.close();
      await notifications.close();
      await pool.end();
    },
  };
}
