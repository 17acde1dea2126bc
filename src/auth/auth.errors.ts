import { DomainError } from '../errors/domain-error.js';

export class UnauthorizedError extends DomainError {
  constructor() {
    super(
      'unauthenticated',
      'unauthorized',
      'Valid credentials are required (HTTP Basic, email and password).',
    );
  }
}

export class InsufficientPermissionsError extends DomainError {
  constructor(permission?: string) {
    super(
      'forbidden',
      'insufficient_permissions',
      permission
        ? `Your role does not have the '${permission}' permission.`
        : 'This route is not open to any role.',
    );
  }
}

export class TooManyLoginFailuresError extends DomainError {
  constructor(retryAfterSeconds: number) {
    super(
      'too_many_requests',
      'too_many_login_failures',
      `Too many failed logins from this client; try again in ${retryAfterSeconds} s.`,
      retryAfterSeconds,
    );
  }
}

/** Too many password checks in flight (from this client, for this user, or in all): refused before the KDF runs. */
export class LoginChecksBusyError extends DomainError {
  constructor() {
    super(
      'too_many_requests',
      'login_checks_busy',
      'Too many logins are being checked right now; try again in 1 s.',
      1,
    );
  }
}
