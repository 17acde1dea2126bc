import { MemoryActionsRepository } from '../../src/storage/memory/memory-actions.repository.js';
import { MemoryUsersRepository } from '../../src/storage/memory/memory-users.repository.js';
import { MemoryNodesRepository } from '../../src/storage/memory/memory-nodes.repository.js';
import { actionsRepositoryContract } from './actions-repository.contract.js';
import { nodesRepositoryContract } from './nodes-repository.contract.js';
import { usersRepositoryContract } from './users-repository.contract.js';

actionsRepositoryContract('memory', () => Promise.resolve(new MemoryActionsRepository()));
nodesRepositoryContract('memory', () => Promise.resolve(new MemoryNodesRepository()));
usersRepositoryContract('memory', () => Promise.resolve(new MemoryUsersRepository()));
