import { shortened } from '../common/client-text.js';
import { DomainError } from '../errors/domain-error.js';

export class NodeNotFoundError extends DomainError {
  /** `uid` as stored, or as a client wrote it in a URL. */
  constructor(uid: number | string) {
    super('not_found', 'node_not_found', `Node ${shortened(String(uid), 32)} does not exist.`);
  }
}

export class NodeNotActiveError extends DomainError {
  constructor(uid: number, status: string) {
    super('not_acceptable', 'node_not_active', `Node ${uid} is ${status}, not active.`);
  }
}

/** A node did not complete its save (refused, failed, or too slow). */
export class NodePersistFailedError extends DomainError {
  constructor(uid: number, problem: string) {
    super('conflict', 'node_persist_failed', `Node ${uid} did not save its data: ${problem}`);
  }
}

export class TopologyNotHealthyError extends DomainError {
  /** `problem` is a sentence describing the topology as observed. */
  constructor(problem: string) {
    super('conflict', 'topology_not_healthy', `The cluster is not one master with its replicas: ${problem}`);
  }
}
