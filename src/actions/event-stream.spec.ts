import { EventEmitter } from 'node:events';
import type { Response } from 'express';
import { EventStream, MAX_QUEUED_EVENTS, type ActionEvent, type ActionEventKind } from './event-stream.js';

/** A response whose socket takes writes until `full` is set; records what was written. */
class FakeResponse extends EventEmitter {
  full = false;
  destroyed = false;
  ended = false;
  readonly written: string[] = [];
  writableLength = 0;

  write(frame: string): boolean {
    this.written.push(frame);
    return !this.full;
  }

  end(): void {
    this.ended = true;
  }

  destroy(): void {
    this.destroyed = true;
  }

  drain(): void {
    this.full = false;
    this.emit('drain');
  }
}

let seq = 0;
const event = (kind: ActionEventKind, actionUid = 'run-1', name = 'test'): ActionEvent => {
  const n = ++seq;
  return { seq: n, kind, name, actionUid, frame: `${kind}-${actionUid}-${n}` };
};

function streamOf(name?: string): { stream: EventStream; response: FakeResponse } {
  const response = new FakeResponse();
  return { stream: new EventStream(response as unknown as Response, name), response };
}

describe('EventStream', () => {
  it('writes at once while the socket takes it, and only the followed action', () => {
    const { stream, response } = streamOf('test');
    const events = [event('status'), event('progress'), event('status', 'run-2', 'other')];
    for (const e of events) stream.offer(e);
    expect(response.written).toEqual([events[0].frame, events[1].frame]);
  });

  it('queues once the socket is full, keeping only the newest progress of a run, and flushes in order on drain', () => {
    const { stream, response } = streamOf();
    const first = event('status');
    response.full = true;
    stream.offer(first); // written: the socket said it is full now
    const queued = [
      event('progress'),
      event('progress', 'run-2'),
      event('progress'),
      event('step'),
      event('progress'),
      event('progress'),
      event('status'),
    ];
    for (const e of queued) stream.offer(e);
    stream.send(': heartbeat\n\n'); // skipped while full
    expect(stream.buffered.events).toBe(5);
    response.drain();
    expect(response.written).toEqual([
      first.frame,
      queued[1].frame, // run-2's progress
      queued[2].frame, // run-1's newest progress before its step
      queued[3].frame, // step
      queued[5].frame, // newest progress after the step
      queued[6].frame, // status
    ]);
    expect(stream.buffered.events).toBe(0);
  });

  it('cuts off a consumer with more than MAX_QUEUED_EVENTS waiting, and takes nothing more', () => {
    const { stream, response } = streamOf();
    response.full = true;
    stream.offer(event('status'));
    for (let i = 0; i < MAX_QUEUED_EVENTS; i++) stream.offer(event('step'));
    expect(response.destroyed).toBe(false);
    stream.offer(event('step'));
    expect(response.destroyed).toBe(true);
    expect(stream.buffered.events).toBe(0);
    response.drain();
    expect(response.written).toHaveLength(1);
  });

  it('closes a stream that keeps up with an end, one that does not by cutting it off', () => {
    const open = streamOf();
    open.stream.close();
    expect(open.response.ended).toBe(true);
    open.response.emit('close');
    const stalled = streamOf();
    stalled.response.full = true;
    stalled.stream.offer(event('status'));
    stalled.stream.close();
    expect(stalled.response.destroyed).toBe(true);
  });
});
