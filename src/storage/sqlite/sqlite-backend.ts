import { InProcessRunEvents } from '../../actions/run-events.js';
import { InProcessLoginCounters } from '../../auth/login-counters.js';
import type { Backend } from '../backend.js';
import { SqliteActionsRepository } from './sqlite-actions.repository.js';
import { openSqliteDatabase } from './sqlite-database.js';
import { SqliteNodesRepository } from './sqlite-nodes.repository.js';
import { SqliteUsersRepository } from './sqlite-users.repository.js';

/** A SQLite file, locked for this process: the changes of this process are all there are. */
export async function openSqliteBackend(path: string): Promise<Backend> {
  const db = await openSqliteDatabase(path);
  return {
    actions: new SqliteActionsRepository(db),
    users: new SqliteUsersRepository(db),
    nodes: new SqliteNodesRepository(db),
    events: new InProcessRunEvents(),
    loginCounters: new InProcessLoginCounters(),
    close: () => void db.close(),
  };
}
