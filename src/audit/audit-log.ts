import { ConsoleLogger, Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import type { Actor } from './actor.js';

/** Everything the audit trail records. */
export type AuditEvent =
  'action.start' | 'action.cancel' | 'action.remove' | 'user.create' | 'user.update' | 'user.delete';

/**
 * The audit trail: one JSON line per change on stdout, with who, what, when and from which address. It has its
 * own logger so that LOG_LEVEL cannot silence it; AUDIT_LOG=off does. Never a password or a hash: callers pass
 * only what may be shown.
 */
@Injectable()
export class AuditLog {
  private readonly logger?: ConsoleLogger;

  constructor(config: AppConfig) {
    if (config.auditLog) this.logger = new ConsoleLogger('Audit', { json: true, logLevels: ['log'] });
  }

  record(event: AuditEvent, actor: Actor, target: Readonly<Record<string, unknown>>): void {
    this.logger?.log({ audit: event, by: actor.email, from: actor.address, ...target });
  }
}
