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
