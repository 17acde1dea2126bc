import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { ActionRun } from '../../actions/action-run.js';
import { InProcessRunEvents } from '../../actions/run-events.js';

/** The channel every replica of one database announces its run changes on. */
export const RUN_CHANGES_CHANNEL = 'cluster_actions_runs';

/** PostgreSQL refuses a NOTIFY payload of 8000 bytes or more; a larger run travels as its action_uid alone. */
const MAX_PAYLOAD_BYTES = 7900;

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5000;

/** What one NOTIFY carries: the sending process and the run as stored, or only its uid for the receiver to read. */
type Announcement = { readonly from: string } & (
  { readonly run: ActionRun } | { readonly actionUid: string }
);

/**
 * RunEvents for replicas sharing one PostgreSQL database. `publish` delivers to this process's subscribers and
 * announces the change with NOTIFY; a dedicated connection LISTENs and delivers the other replicas' changes (its
 * own announcements, recognised by the process id, were delivered already). After that connection is lost it
 * reconnects with a growing pause; changes announced meanwhile are not replayed, so a subscriber that must not
 * miss one also re-reads the store from time to time.
 */
export class PostgresRunEvents extends InProcessRunEvents {
  private readonly log = new Logger(PostgresRunEvents.name);
  /** Tags this process's announcements. */
  readonly processId = randomUUID();
  private listener?: pg.Client;
  private retryMs = FIRST_RETRY_MS;
  private retryTimer?: NodeJS.Timeout;
  private closed = false;
  /** Announcements leave one after the other, so that other replicas see one run's changes in order. */
  private sending: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly url: string,
    private readonly pool: pg.Pool,
    /** Reads a run whose announcement was too large to carry it. */
    private readonly reread: (actionUid: string) => Promise<ActionRun | undefined>,
  ) {
    super();
  }

  /** Starts listening; rejects when the database cannot be reached at all. */
  async start(): Promise<void> {
    this.listener = await this.connect();
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

  /** Stops listening and waits for the announcements still leaving. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.sending;
    await this.listener?.end().catch(() => undefined);
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.url, keepAlive: true });
    client.on('notification', (notification) => void this.received(notification.payload));
    // Only a connection that was listening is lost (a failed attempt is retried by its caller); after a failure
    // pg also emits 'end', and one reconnection is enough.
    let listening = false;
    const onLost = (error?: Error): void => {
      if (!listening || this.closed) return;
      listening = false;
      this.log.warn(`Lost the connection that listens for other replicas' run changes: ${message(error)}`);
      this.scheduleReconnect();
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    try {
      await client.connect();
      await client.query(`LISTEN ${RUN_CHANGES_CHANNEL}`);
      listening = true;
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    return client;
  }

  private scheduleReconnect(): void {
    this.retryTimer = setTimeout(() => {
      this.connect().then(
        (client) => {
          if (this.closed) return void client.end().catch(() => undefined);
          this.listener = client;
          this.retryMs = FIRST_RETRY_MS;
          this.log.log("Listening for other replicas' run changes again.");
        },
        (error: unknown) => {
          this.log.warn(
            `Could not listen for run changes yet (retrying in ${this.retryMs} ms): ${message(error)}`,
          );
          this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
          if (!this.closed) this.scheduleReconnect();
        },
      );
    }, this.retryMs);
    this.retryTimer.unref();
  }

  private async received(payload: string | undefined): Promise<void> {
    try {
      const announcement = JSON.parse(payload ?? '') as Announcement;
      if (announcement.from === this.processId) return;
      const run = 'run' in announcement ? announcement.run : await this.reread(announcement.actionUid);
      if (run) this.deliver(run);
    } catch (error) {
      this.log.warn(`Ignored a run change announcement: ${message(error)}`);
    }
  }
}

const message = (error: unknown): string =>
  error instanceof Error ? error.message : error === undefined ? 'connection ended' : JSON.stringify(error);
