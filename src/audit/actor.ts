/** Who made a change, as the audit trail and the action object record it. */
export interface Actor {
  readonly email: string;
  /** The client's address as the socket saw it. */
  readonly address: string;
}
