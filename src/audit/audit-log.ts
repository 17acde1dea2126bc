import { Injectable, Logger } from '@nestjs/common';
import type { Actor } from './actor.js';

/** Everything the audit trail records. */
export type AuditEvent =
  'action.start' | 'action.cancel' | 'action.remove' | 'user.create' | 'user.update' | 'user.delete';

/**
 * The audit trail: one structured (JSON) log line per change, with who, what, when and from which address.
 * Never a password or a hash: callers pass only what may be shown.
 */
@Injectable()
export class AuditLog {
  private readonly logger = new Logger('Audit');

  record(event: AuditEvent, actor: Actor, target: Readonly<Record<string, unknown>>): void {
    this.logger.log(
      JSON.stringify({
        audit: event,
        at: new Date().toISOString(),
        by: actor.email,
        from: actor.address,
        ...target,
      }),
    );
  }
}
