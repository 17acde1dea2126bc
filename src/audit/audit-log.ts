import { Injectable } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { AppConfig } from '../config/app-config.js';
import type { Actor } from './actor.js';

/** Everything the audit trail records. */
export type AuditEvent =
  'action.start' | 'action.cancel' | 'action.remove' | 'user.create' | 'user.update' | 'user.delete';

/**
 * The audit trail: one JSON line per change, with who, what, when and from which address, and the id of the
 * request that made it. It writes through the application's logger (the request's, so the id is there) at its
 * own level, so that LOG_LEVEL cannot silence it; AUDIT_LOG=off does. Never a password or a hash: callers pass
 * only what may be shown.
 */
@Injectable()
export class AuditLog {
  private readonly enabled: boolean;

  constructor(
    config: AppConfig,
    private readonly logger: PinoLogger,
  ) {
    this.enabled = config.auditLog;
  }

  record(event: AuditEvent, actor: Actor, target: Readonly<Record<string, unknown>>): void {
    if (!this.enabled) return;
    this.logger.logger
      .child({ context: 'Audit' }, { level: 'info' })
      .info({ audit: event, by: actor.email, from: actor.address, ...target }, event);
  }
}
