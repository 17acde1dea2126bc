import { DomainError } from '../errors/domain-error.js';

export class UserNotFoundError extends DomainError {
  constructor(uid: string | number) {
    const shown = String(uid).length > 32 ? `${String(uid).slice(0, 32)}...` : String(uid);
    super('not_found', 'user_not_found', `User ${JSON.stringify(shown)} does not exist.`);
  }
}

export class EmailTakenError extends DomainError {
  constructor() {
    super('conflict', 'email_taken', 'Another user already has this email address.');
  }
}

export class LastAdminError extends DomainError {
  constructor() {
    super(
      'conflict',
      'last_admin',
      'This is the last active admin: it cannot be deleted, demoted or locked. Make another user an active admin first.',
    );
  }
}
