import { Global, Module } from '@nestjs/common';
import { ActionsRepository } from '../actions/actions.repository.js';
import { MemoryActionsRepository } from '../actions/memory-actions.repository.js';
import { MemoryUsersRepository } from '../auth/memory-users.repository.js';
import { UsersRepository } from '../auth/users.repository.js';
import { MemoryNodesRepository } from '../cluster/memory-nodes.repository.js';
import { NodesRepository } from '../cluster/nodes.repository.js';

/** The store behind every repository port, chosen from DATABASE_URL (only `memory:` so far). */
@Global()
@Module({
  providers: [
    { provide: ActionsRepository, useClass: MemoryActionsRepository },
    { provide: UsersRepository, useClass: MemoryUsersRepository },
    { provide: NodesRepository, useClass: MemoryNodesRepository },
  ],
  exports: [ActionsRepository, UsersRepository, NodesRepository],
})
export class DatabaseModule {}
