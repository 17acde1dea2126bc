import type { Role } from '../auth/permissions.js';

/** Who made a change, as the audit trail and the action object record it. */
export interface Actor {
  readonly email: string;
  /** The role the actor holds as of this request: what decides which users it may manage. */
  readonly role: Role;
  /** The client's address as the socket saw it. */
  readonly address: string;
}
