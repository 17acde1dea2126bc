import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { ActionRun } from '../../actions/action-run.js';
import { InProcessRunEvents } from '../../actions/run-events.js';
import { message, type PostgresNotifications } from './postgres-notifications.js';

/** The channel every replica of one database announces its run changes on. */
export const RUN_CHANGES_CHANNEL = 'cluster_actions_runs';

/** PostgreSQL refuses a NOTIFY payload of 8000 bytes or more; a larger run travels as its action_uid alone. */
const MAX_PAYLOAD_BYTES = 7900;

/** What one NOTIFY carries: the sending process and the run as stored, or only its uid for the receiver to read. */
type Announcement = { readonly from: string } & (
  { readonly run: ActionRun } | { readonly actionUid: string }
);

/**
 * RunEvents for replicas sharing one PostgreSQL database. `publish` delivers to this process's subscribers and
 * announces the change with NOTIFY; the process's LISTEN connection (PostgresNotifications) delivers the other
 * replicas' changes (its own announcements, recognised by the process id, were delivered already). Changes
 * announced while that connection is down are not replayed, so a subscriber that must not miss one also re-reads
 * the store from time to time.
 */
export class PostgresRunEvents extends InProcessRunEvents {
  private readonly log = new Logger(PostgresRunEvents.name);
  /** Tags this process's announcements. */
  readonly processId = randomUUID();
  /** Announcements leave one after the other, so that other replicas see one run's changes in order. */
  private sending: Promise<unknown> = Promise.resolve();

  constructor(
    notifications: PostgresNotifications,
    private readonly pool: pg.Pool,
    /** Reads a run whose announcement was too large to carry it. */
    private readonly reread: (actionUid: string) => Promise<ActionRun | undefined>,
  ) {
    super();
    notifications.on(RUN_CHANGES_CHANNEL, (payload) => void this.received(payload));
  }

  override publish(run: ActionRun): void {
    this.deliver(run);
    const whole = JSON.stringify({ from: this.processId, run } satisfies Announcement);
    const payload =
      Buffer.byteLength(whole) <= MAX_PAYLOAD_BYTES
        ? whole
        : JSON.stringify({ from: this.processId, actionUid: run.actionUid } satisfies Announcement);
    this.sending = this.sending
      .then(() => this.pool.query('SELECT pg_notify($1, $2)', [RUN_CHANGES_CHANNEL, payload]))
      .catch((error: unknown) =>
        this.log.warn(
          `Could not announce the change of run ${run.actionUid} to other replicas: ${message(error)}`,
        ),
      );
  }

  /** Waits for the announcements still leaving. */
  async close(): Promise<void> {
    await this.sending;
  }

  private async received(payload: string): Promise<void> {
    try {
      const announcement = JSON.parse(payload) as Announcement;
      if (announcement.from === this.processId) return;
      const run = 'run' in announcement ? announcement.run : await this.reread(announcement.actionUid);
      if (run) this.deliver(run);
    } catch (error) {
      this.log.warn(`Ignored a run change announcement: ${message(error)}`);
    }
  }
}
