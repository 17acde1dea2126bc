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
  | 'conflict'
  | 'unprocessable' // well-formed, but contradicts what the server already holds (e.g. a reused key)
  | 'too_many_requests' // the client must wait `retryAfterSeconds` before trying again
  | 'unavailable'; // the service cannot answer now (its store is down)

export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    /** snake_case, stable: clients branch on it. */
    readonly code: string,
    /** A human sentence. */
    readonly description: string,
    /** When the client may try again, for `too_many_requests`. */
    readonly retryAfterSeconds?: number,
  ) {
    // An answer, not a fault: nothing reads its stack, and capturing one (async frames and all) was the
    // largest cost of a 401 or a 409. So none is captured.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(description);
    Error.stackTraceLimit = stackTraceLimit;
    this.name = new.target.name;
  }
}

/** The store does not answer (down, unreachable, too slow): the client may retry shortly. */
export class StoreUnavailableError extends DomainError {
  constructor(retryAfterSeconds = 2) {
    super('unavailable', 'store_unavailable', 'The store does not answer.', retryAfterSeconds);
  }
}

export class InvalidRequestError extends DomainError {
  constructor(description: string) {
    super('invalid', 'invalid_request', description);
  }
}
