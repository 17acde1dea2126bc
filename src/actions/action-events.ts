import {
  Injectable,
  type BeforeApplicationShutdown,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import type { Response } from 'express';
import { randomBytes } from 'node:crypto';
import { isTerminal } from './action-lifecycle.js';
import { ActionRegistry } from './action-registry.js';
import type { ActionRun } from './action-run.js';
import { ActionNotFoundError } from './actions.errors.js';
import { ActionsService } from './actions.service.js';
import { toActionDto } from './dto/action.dto.js';
import { EventStream, type ActionEvent, type ActionEventKind } from './event-stream.js';
import { RunEvents } from './run-events.js';

/** How many recent events a stream can resume from (Last-Event-ID). */
export const EVENT_HISTORY_SIZE = 1024;
/** A comment line this often keeps proxies and clients from taking a quiet stream for a dead one. */
export const HEARTBEAT_MS = 15_000;
/** Runs whose last state is remembered to tell which kind of change the next one is (one active run per name). */
const MAX_TRACKED_RUNS = 10_000;

/** Which kind of event `run` is, against the state last seen for it. */
function kindOf(previous: ActionRun | undefined, run: ActionRun): ActionEventKind {
  if (!previous || previous.status !== run.status || previous.cancellable !== run.cancellable)
    return 'status';
  return previous.step !== run.step ? 'step' : 'progress';
}

export interface StreamRequest {
  /** One action's events; every action's when absent. */
  readonly name?: string;
  /** The `Last-Event-ID` header of a reconnecting client. */
  readonly lastEventId?: string;
}

/**
 * Server-sent events of every run change, fed by RunEvents (so, on PostgreSQL, by every replica's changes).
 * Each change is serialized once, numbered in this process's sequence and kept in a bounded history for
 * Last-Event-ID resumption; each client's EventStream bounds what it holds. An id is `<source>-<seq>`: the source
 * is random per process, so an id from another replica or an earlier start of this one is recognised as one
 * this history cannot continue.
 */
@Injectable()
export class ActionEvents implements OnModuleInit, OnModuleDestroy, BeforeApplicationShutdown {
  private readonly source = randomBytes(4).toString('hex');
  private seq = 0;
  /** The most recent events, oldest first. */
  private readonly history: ActionEvent[] = [];
  private readonly lastSeen = new Map<string, ActionRun>();
  private readonly streams = new Set<EventStream>();
  private unsubscribe?: () => void;
  private heartbeat?: NodeJS.Timeout;

  constructor(
    private readonly events: RunEvents,
    private readonly actions: ActionsService,
    private readonly registry: ActionRegistry,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.events.subscribe((run) => this.record(run));
    this.heartbeat = setInterval(() => {
      for (const stream of this.streams) stream.send(': heartbeat\n\n');
    }, HEARTBEAT_MS).unref();
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
    clearInterval(this.heartbeat);
  }

  /** Nest closes the HTTP server after this, and that waits for open responses: end the streams. */
  beforeApplicationShutdown(): void {
    for (const stream of this.streams) stream.close();
  }

  /** The open streams (for tests and metrics). */
  get open(): ReadonlySet<EventStream> {
    return this.streams;
  }

  /**
   * Answers `response` with an event stream until the client goes away. A `lastEventId` still in this history
   * resumes right after it; one that is not (another replica's, an earlier start's, or older than the history)
   * begins with the current state of the action(s) as `status` events without an id.
   */
  async stream(response: Response, { name, lastEventId }: StreamRequest): Promise<void> {
    if (name !== undefined) this.registry.require(name);
    let gone = false;
    response.once('close', () => (gone = true));
    const resumeAfter = lastEventId === undefined ? this.seq : this.resumableSeq(lastEventId);
    const seqBeforeRead = this.seq;
    const snapshot = resumeAfter === undefined ? await this.currentState(name) : [];
    if (gone) return;
    // Events recorded during the read follow the snapshot.
    const replayFrom = resumeAfter ?? seqBeforeRead;

    response.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      // nginx buffers responses unless told not to.
      'X-Accel-Buffering': 'no',
    });
    response.flushHeaders();
    const stream = new EventStream(response, name);
    // Through the queue like any event (a long list may fill the socket), but without an id.
    for (const run of snapshot) stream.offer(this.eventOf(run, 'status'));
    // From the history to live with no await between, so that no event falls in between.
    for (const event of this.history) if (event.seq > replayFrom) stream.offer(event);
    this.streams.add(stream);
    response.once('close', () => this.streams.delete(stream));
  }

  private record(run: ActionRun): void {
    // A finished run's status being hidden is no change of the run.
    if (run.hidden) return;
    const kind = kindOf(this.lastSeen.get(run.actionUid), run);
    this.remember(run);
    const event = this.eventOf(run, kind, ++this.seq);
    this.history.push(event);
    if (this.history.length > EVENT_HISTORY_SIZE) this.history.shift();
    for (const stream of this.streams) stream.offer(event);
  }

  /** The event of `run`; one without `seq` carries no id (a snapshot, which no one can resume after). */
  private eventOf(run: ActionRun, kind: ActionEventKind, seq?: number): ActionEvent {
    const id = seq === undefined ? '' : `id: ${this.source}-${seq}\n`;
    const frame = `${id}event: ${kind}\ndata: ${JSON.stringify(toActionDto(run))}\n\n`;
    return { seq: seq ?? 0, kind, name: run.name, actionUid: run.actionUid, frame };
  }

  private remember(run: ActionRun): void {
    this.lastSeen.delete(run.actionUid);
    if (isTerminal(run.status)) return;
    this.lastSeen.set(run.actionUid, run);
    // Bounded even if a terminal change from another replica never arrives (its NOTIFY was lost).
    if (this.lastSeen.size > MAX_TRACKED_RUNS) this.lastSeen.delete(this.lastSeen.keys().next().value!);
  }

  /** The sequence number to resume after, or undefined when this history cannot continue from `lastEventId`. */
  private resumableSeq(lastEventId: string): number | undefined {
    const match = /^([0-9a-f]{8})-(\d{1,15})$/.exec(lastEventId);
    if (!match || match[1] !== this.source) return undefined;
    const seq = Number(match[2]);
    const oldest = this.history[0]?.seq ?? this.seq + 1;
    // Every event after it must still be here, and it must be one this process gave.
    return seq >= oldest - 1 && seq <= this.seq ? seq : undefined;
  }

  private async currentState(name: string | undefined): Promise<ActionRun[]> {
    if (name === undefined) return this.actions.list();
    return this.actions.get(name).then(
      (run) => [run],
      (error: unknown) => {
        if (error instanceof ActionNotFoundError) return [];
        throw error;
      },
    );
  }
}
