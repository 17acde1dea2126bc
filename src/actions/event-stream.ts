import type { Response } from 'express';

export type ActionEventKind = 'status' | 'progress' | 'step';

/** One change of a run as a server-sent event, serialized once for every stream. */
export interface ActionEvent {
  /** Position in this process's sequence (the `id:` field carries it with the process's tag). */
  readonly seq: number;
  readonly kind: ActionEventKind;
  readonly name: string;
  readonly actionUid: string;
  /** The whole event, `id:`, `event:`, `data:` and the blank line. */
  readonly frame: string;
}

/** Events a consumer that does not read may have waiting, past progress coalescing, before it is disconnected. */
export const MAX_QUEUED_EVENTS = 256;

/** How long a closing stream's last bytes may take to leave before the connection is cut. */
const CLOSE_GRACE_MS = 1000;

/**
 * One client's event stream over a raw Express response. Writes go straight to the socket while it takes them;
 * once `write` says the socket is full, events wait in a queue until it drains. Waiting progress of a run is
 * replaced by its newer progress (the data is the whole action object, so the latest says it all); status and
 * step events are kept, and a consumer with more than MAX_QUEUED_EVENTS waiting is disconnected (it can resume
 * with Last-Event-ID). So one slow client holds at most the socket's buffer plus that many events.
 */
export class EventStream {
  private readonly queue: ActionEvent[] = [];
  private blocked = false;
  /** Cut off or closed: takes nothing more. */
  private ended = false;

  constructor(
    private readonly response: Response,
    /** Only this action's events; every action's when undefined. */
    private readonly name: string | undefined,
  ) {
    response.on('drain', () => this.flush());
  }

  /** Sends or queues `event` if it is one this stream follows. */
  offer(event: ActionEvent): void {
    if (this.ended || (this.name !== undefined && event.name !== this.name)) return;
    if (!this.blocked) return this.write(event.frame);
    if (event.kind === 'progress') this.dropQueuedProgress(event.actionUid);
    if (this.queue.length < MAX_QUEUED_EVENTS) this.queue.push(event);
    else this.cutOff();
  }

  /** Writes a frame that carries no event (a comment, or a snapshot of the current state). */
  send(frame: string): void {
    if (!this.blocked && !this.ended) this.write(frame);
  }

  /** What this stream holds for its client: queued events and bytes the socket has not taken yet. */
  get buffered(): { readonly events: number; readonly bytes: number } {
    return { events: this.queue.length, bytes: this.response.writableLength };
  }

  /** Ends the stream; a client that does not read is cut off rather than waited for. */
  close(): void {
    if (this.blocked) return this.cutOff();
    this.ended = true;
    this.response.end();
    // The end may still sit behind data the client has not read: the server's close waits for no one.
    const timer = setTimeout(() => this.response.destroy(), CLOSE_GRACE_MS).unref();
    this.response.once('close', () => clearTimeout(timer));
  }

  private cutOff(): void {
    this.ended = true;
    this.queue.length = 0;
    this.response.destroy();
  }

  private write(frame: string): void {
    if (!this.response.write(frame)) this.blocked = true;
  }

  private flush(): void {
    this.blocked = false;
    while (!this.blocked && this.queue.length > 0) this.write(this.queue.shift()!.frame);
  }

  /** The run's last queued event, if progress, is superseded by newer progress. */
  private dropQueuedProgress(actionUid: string): void {
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const queued = this.queue[i];
      if (queued.actionUid !== actionUid) continue;
      if (queued.kind === 'progress') this.queue.splice(i, 1);
      return;
    }
  }
}
