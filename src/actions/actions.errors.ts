import { shortened } from '../common/client-text.js';
import { DomainError } from '../errors/domain-error.js';

/** Names come from the URL: quoted and shortened. */
const quoted = (name: string): string => JSON.stringify(shortened(name, 64));

export class UnknownActionError extends DomainError {
  constructor(name: string) {
    super('invalid', 'unknown_action', `There is no action type named ${quoted(name)}.`);
  }
}

export class ActionNotFoundError extends DomainError {
  constructor(name: string) {
    super('not_found', 'action_not_found', `Action ${quoted(name)} is not running and has no stored status.`);
  }
}

export class ActionInProgressError extends DomainError {
  constructor(name: string) {
    super('conflict', 'action_in_progress', `A run of action ${quoted(name)} is already in progress.`);
  }
}

export class ActionNotCancellableError extends DomainError {
  constructor(name: string) {
    super(
      'conflict',
      'action_not_cancellable',
      `The run of action ${quoted(name)} passed its point of no return and can no longer be cancelled.`,
    );
  }
}

export class ActionRunNotFoundError extends DomainError {
  constructor(actionUid: string) {
    super('not_found', 'action_not_found', `There is no run with action_uid ${quoted(actionUid)}.`);
  }
}

/** A condition the client set on the current state does not hold (a handler's `preconditions`). */
export class PreconditionFailedError extends DomainError {
  /** `description` says which condition and what the state is. */
  constructor(description: string) {
    super('conflict', 'precondition_failed', description);
  }
}

export class IdempotencyKeyReusedError extends DomainError {
  constructor(key: string) {
    super(
      'unprocessable',
      'idempotency_key_reused',
      `Idempotency-Key ${quoted(key)} was used in the last 24 hours for another request (another action or other ` +
        'parameters); send a new key for a new request.',
    );
  }
}

export class KeyedRunNotFoundError extends DomainError {
  constructor(key: string) {
    super(
      'not_found',
      'action_not_found',
      `The run that Idempotency-Key ${quoted(key)} started was deleted by history retention.`,
    );
  }
}
