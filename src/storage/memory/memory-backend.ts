import { InProcessRunEvents } from '../../actions/run-events.js';
import { InProcessLoginCounters } from '../../auth/login-counters.js';
import type { Backend } from '../backend.js';
import { MemoryActionsRepository } from './memory-actions.repository.js';
import { MemoryNodesRepository } from './memory-nodes.repository.js';
import { MemoryUsersRepository } from './memory-users.repository.js';

/** State in this process only: nothing survives a restart. */
export function openMemoryBackend(): Backend {
  return {
    actions: new MemoryActionsRepository(),
    users: new MemoryUsersRepository(),
    nodes: new MemoryNodesRepository(),
    events: new InProcessRunEvents(),
    loginCounters: new InProcessLoginCounters(),
    close: () => undefined,
  };
}
