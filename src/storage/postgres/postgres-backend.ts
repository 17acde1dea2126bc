import type { Backend } from '../backend.js';
import { PostgresActionsRepository } from './postgres-actions.repository.js';
import { DatabaseUnreachableError, openPostgresDatabase, type PostgresOptions } from './postgres-database.js';
import { PostgresLoginCounters } from './postgres-login-counters.js';
import { PostgresNodesRepository } from './postgres-nodes.repository.js';
import { PostgresRunEvents } from './postgres-run-events.js';
import { PostgresUsersRepository } from './postgres-users.repository.js';

/** A PostgreSQL database shared by every replica: a pool for the repositories, one more connection to LISTEN. */
export async function openPostgresBackend(options: PostgresOptions): Promise<Backend> {
  const pool = await openPostgresDatabase(options);
  const actions = new PostgresActionsRepository(pool);
  const events = new PostgresRunEvents(options.url, pool, (uid) => actions.findByUid(uid));
  try {
    await events.start();
  } catch (error) {
    await pool.end();
    throw new DatabaseUnreachableError(options.url, error);
  }
  return {
    actions,
    users: new PostgresUsersRepository(pool),
    nodes: new PostgresNodesRepository(pool),
    events,
    loginCounters: new PostgresLoginCounters(pool),
    async close() {
      await events.close();
      await pool.end();
    },
  };
}
