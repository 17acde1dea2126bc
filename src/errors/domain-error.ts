/**
 * What went wrong, in domain terms. Services throw these; the one exception filter maps each kind to an
 * HTTP status, so no service knows about HTTP and a new kind does not compile until the filter maps it.
 */
export type DomainErrorKind =
  | 'invalid' // the request is malformed or names something that cannot exist
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'not_acceptable' // the target exists but is in a state that does not allow the request
  | 'conflict';

export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    /** snake_case, stable: clients branch on it. */
    readonly code: string,
    /** A human sentence. */
    readonly description: string,
  ) {
    super(description);
    this.name = new.target.name;
  }
}

export class InvalidRequestError extends DomainError {
  constructor(description: string) {
    super('invalid', 'invalid_request', description);
  }
}
