import { Global, Module, type OnApplicationShutdown } from '@nestjs/common';
import { ActionsRepository } from '../actions/actions.repository.js';
import { InProcessRunEvents, RunEvents } from '../actions/run-events.js';
import { UsersRepository } from '../auth/users.repository.js';
import { NodesRepository } from '../cluster/nodes.repository.js';
import { AppConfig, type DatabaseConfig } from '../config/app-config.js';
import { MemoryActionsRepository } from './memory/memory-actions.repository.js';
import { MemoryNodesRepository } from './memory/memory-nodes.repository.js';
import { MemoryUsersRepository } from './memory/memory-users.repository.js';
import { PostgresActionsRepository } from './postgres/postgres-actions.repository.js';
import { DatabaseUnreachableError, openPostgresDatabase } from './postgres/postgres-database.js';
import { PostgresNodesRepository } from './postgres/postgres-nodes.repository.js';
import { PostgresRunEvents } from './postgres/postgres-run-events.js';
import { PostgresUsersRepository } from './postgres/postgres-users.repository.js';
import { SqliteActionsRepository } from './sqlite/sqlite-actions.repository.js';
import { openSqliteDatabase } from './sqlite/sqlite-database.js';
import { SqliteNodesRepository } from './sqlite/sqlite-nodes.repository.js';
import { SqliteUsersRepository } from './sqlite/sqlite-users.repository.js';

/**
 * One backend's repositories and the connection behind them. Nest shuts global modules down last, so the
 * connection closes after every other module (the ActionRunner records its last runs first).
 */
class Store implements OnApplicationShutdown {
  constructor(
    readonly actions: ActionsRepository,
    readonly users: UsersRepository,
    readonly nodes: NodesRepository,
    readonly events: RunEvents,
    private readonly close: () => void | Promise<void> = () => undefined,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }
}

/** The one place a backend is chosen; a new backend is one more case here. */
async function openStore(database: DatabaseConfig): Promise<Store> {
  switch (database.driver) {
    case 'memory':
      return new Store(
        new MemoryActionsRepository(),
        new MemoryUsersRepository(),
        new MemoryNodesRepository(),
        new InProcessRunEvents(),
      );
    case 'sqlite': {
      const db = await openSqliteDatabase(database.path);
      return new Store(
        new SqliteActionsRepository(db),
        new SqliteUsersRepository(db),
        new SqliteNodesRepository(db),
        new InProcessRunEvents(),
        () => void db.close(),
      );
    }
    case 'postgres': {
      const pool = await openPostgresDatabase(database);
      const actions = new PostgresActionsRepository(pool);
      const events = new PostgresRunEvents(database.url, pool, (uid) => actions.findByUid(uid));
      try {
        await events.start();
      } catch (error) {
        await pool.end();
        throw new DatabaseUnreachableError(database.url, error);
      }
      return new Store(
        actions,
        new PostgresUsersRepository(pool),
        new PostgresNodesRepository(pool),
        events,
        async () => {
          await events.close();
          await pool.end();
        },
      );
    }
  }
}

/** The store behind every repository port, chosen from DATABASE_URL. */
@Global()
@Module({
  providers: [
    { provide: Store, useFactory: (config: AppConfig) => openStore(config.database), inject: [AppConfig] },
    { provide: ActionsRepository, useFactory: (store: Store) => store.actions, inject: [Store] },
    { provide: UsersRepository, useFactory: (store: Store) => store.users, inject: [Store] },
    { provide: NodesRepository, useFactory: (store: Store) => store.nodes, inject: [Store] },
    { provide: RunEvents, useFactory: (store: Store) => store.events, inject: [Store] },
  ],
  exports: [ActionsRepository, UsersRepository, NodesRepository, RunEvents],
})
export class StorageModule {}
