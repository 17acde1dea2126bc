import { shortened } from '../common/client-text.js';
import { DomainError } from '../errors/domain-error.js';
import type { Role } from './permissions.js';

export class UserNotFoundError extends DomainError {
  constructor(uid: string | number) {
    super(
      'not_found',
      'user_not_found',
      `User ${JSON.stringify(shortened(String(uid), 32))} does not exist.`,
    );
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

/** The user's role kept changing while a write was checked against it. */
export class UserChangingError extends DomainError {
  constructor(uid: number) {
    super('conflict', 'user_changing', `User ${uid}'s role changed during the request; send it again.`);
  }
}

/** A user manager reaching above its own role: see canManageRole. */
export class RoleAboveYoursError extends DomainError {
  constructor(actorRole: Role, targetRole: Role) {
    super(
      'forbidden',
      'insufficient_permissions',
      `Your role '${actorRole}' cannot create, change, lock or delete a user with the role ` +
        `'${targetRole}', nor grant that role: no one manages a role above their own.`,
    );
  }
}
