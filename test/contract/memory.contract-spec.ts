import { MemoryActionsRepository } from '../../src/actions/memory-actions.repository.js';
import { MemoryUsersRepository } from '../../src/auth/memory-users.repository.js';
import { MemoryNodesRepository } from '../../src/cluster/memory-nodes.repository.js';
import { actionsRepositoryContract } from './actions-repository.contract.js';
import { nodesRepositoryContract } from './nodes-repository.contract.js';
import { usersRepositoryContract } from './users-repository.contract.js';

actionsRepositoryContract('memory', () => Promise.resolve(new MemoryActionsRepository()));
nodesRepositoryContract('memory', () => Promise.resolve(new MemoryNodesRepository()));
usersRepositoryContract('memory', () => Promise.resolve(new MemoryUsersRepository()));
