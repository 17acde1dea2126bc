import type { ActionsRepository } from '../actions/actions.repository.js';
import type { RunEvents } from '../actions/run-events.js';
import type { LoginCounters } from '../auth/login-counters.js';
import type { UsersRepository } from '../auth/users.repository.js';
import type { NodesRepository } from '../cluster/nodes.repository.js';

/** What every backend folder provides: each repository port, RunEvents and LoginCounters, over one connection. */
export interface Backend {
  readonly actions: ActionsRepository;
  readonly users: UsersRepository;
  readonly nodes: NodesRepository;
  readonly events: RunEvents;
  readonly loginCounters: LoginCounters;
  /** Releases the connection; called once, after every other module has stopped. */
  close(): void | Promise<void>;
}
