import { DomainError } from '../errors/domain-error.js';

export class NodeNotFoundError extends DomainError {
  constructor(uid: number | string) {
    super('not_found', 'node_not_found', `Node ${uid} does not exist.`);
  }
}

export class NodeNotActiveError extends DomainError {
  constructor(uid: number, status: string) {
    super('not_acceptable', 'node_not_active', `Node ${uid} is ${status}, not active.`);
  }
}
