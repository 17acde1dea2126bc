import { Logger } from '@nestjs/common';
import pg from 'pg';

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5000;

type PayloadHandler = (payload: string) => void;
type StateHandler = (listening: boolean) => void;

/**
 * The process's one LISTEN connection to the shared database, for every channel it follows (run changes, user
 * changes). After the connection is lost it reconnects with a growing pause and listens again; notifications
 * sent meanwhile are lost, so whoever relies on them is told through `onStateChange` when the connection goes
 * down and when it listens again.
 */
export class PostgresNotifications {
  private readonly log = new Logger(PostgresNotifications.name);
  private readonly handlers = new Map<string, PayloadHandler>();
  private readonly stateHandlers: StateHandler[] = [];
  private client?: pg.Client;
  private connected = false;
  private started = false;
  private closed = false;
  private retryMs = FIRST_RETRY_MS;
  private retryTimer?: NodeJS.Timeout;

  constructor(private readonly url: string) {}

  /** Calls `handler` with every payload sent on `channel`. Channels are all known before `start`. */
  on(channel: string, handler: PayloadHandler): void {
    if (this.started || this.handlers.has(channel)) {
      throw new Error(`Channel ${channel} subscribed twice or after the start`);
    }
    this.handlers.set(channel, handler);
  }

  /** Calls `handler` with true whenever the connection listens (again), with false as soon as it is lost. */
  onStateChange(handler: StateHandler): void {
    this.stateHandlers.push(handler);
  }

  /** Whether every channel is listened to right now: notifications sent now will arrive. */
  get listening(): boolean {
    return this.connected;
  }

  /** Starts listening; rejects when the database cannot be reached at all. */
  async start(): Promise<void> {
    this.started = true;
    this.client = await this.connect();
    this.setConnected(true);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.setConnected(false);
    await this.client?.end().catch(() => undefined);
  }

  private setConnected(connected: boolean): void {
    this.connected = connected;
    for (const handler of this.stateHandlers) handler(connected);
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.url, keepAlive: true });
    client.on('notification', ({ channel, payload }) => this.handlers.get(channel)?.(payload ?? ''));
    // Only a connection that was listening is lost (a failed attempt is retried by its caller); after a failure
    // pg also emits 'end', and one reconnection is enough.
    let listening = false;
    const onLost = (error?: Error): void => {
      if (!listening || this.closed) return;
      listening = false;
      this.setConnected(false);
      this.log.warn(`Lost the connection that listens for other replicas' changes: ${message(error)}`);
      this.scheduleReconnect();
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    try {
      await client.connect();
      for (const channel of this.handlers.keys())
        await client.query(`LISTEN ${client.escapeIdentifier(channel)}`);
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
          this.client = client;
          this.retryMs = FIRST_RETRY_MS;
          this.setConnected(true);
          this.log.log("Listening for other replicas' changes again.");
        },
        (error: unknown) => {
          this.log.warn(
            `Could not listen for other replicas' changes yet (retrying in ${this.retryMs} ms): ${message(error)}`,
          );
          this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
          if (!this.closed) this.scheduleReconnect();
        },
      );
    }, this.retryMs);
    this.retryTimer.unref();
  }
}

export const message = (error: unknown): string =>
  error instanceof Error ? error.message : error === undefined ? 'connection ended' : JSON.stringify(error);
