import { Global, Module, type OnApplicationShutdown } from '@nestjs/common';
import { ActionsRepository } from '../actions/actions.repository.js';
import { RunEvents } from '../actions/run-events.js';
import { LoginCounters } from '../auth/login-counters.js';
import { UsersRepository } from '../auth/users.repository.js';
import { NodesRepository } from '../cluster/nodes.repository.js';
import { AppConfig, type DatabaseConfig } from '../config/app-config.js';
import type { Backend } from './backend.js';
import { openMemoryBackend } from './memory/memory-backend.js';
import { openPostgresBackend } from './postgres/postgres-backend.js';
import { openSqliteBackend } from './sqlite/sqlite-backend.js';

/**
 * The chosen backend, closed on shutdown. Nest shuts global modules down last, so the connection closes after
 * every other module (the ActionRunner records its last runs first).
 */
class Store implements OnApplicationShutdown {
  constructor(readonly backend: Backend) {}

  async onApplicationShutdown(): Promise<void> {
    await this.backend.close();
  }
}

/** The one place a backend is chosen; a new backend is one more folder and one more case here. */
async function openBackend(database: DatabaseConfig): Promise<Backend> {
  switch (database.driver) {
    case 'memory':
      return openMemoryBackend();
    case 'sqlite':
      return openSqliteBackend(database.path);
    case 'postgres':
      return openPostgresBackend(database);
  }
}

/** The store behind every repository port (and the login failure counters), chosen from DATABASE_URL. */
@Global()
@Module({
  providers: [
    {
      provide: Store,
      useFactory: async (config: AppConfig) => new Store(await openBackend(config.database)),
      inject: [AppConfig],
    },
    { provide: ActionsRepository, useFactory: (store: Store) => store.backend.actions, inject: [Store] },
    { provide: UsersRepository, useFactory: (store: Store) => store.backend.users, inject: [Store] },
    { provide: NodesRepository, useFactory: (store: Store) => store.backend.nodes, inject: [Store] },
    { provide: RunEvents, useFactory: (store: Store) => store.backend.events, inject: [Store] },
    { provide: LoginCounters, useFactory: (store: Store) => store.backend.loginCounters, inject: [Store] },
  ],
  exports: [ActionsRepository, UsersRepository, NodesRepository, RunEvents, LoginCounters],
})
export class StorageModule {}
