import { jest } from '@jest/globals';
import { EventEmitter } from 'node:events';
import type { Response } from 'express';
import { ActionEvents, EVENT_HISTORY_SIZE, HEARTBEAT_MS } from './action-events.js';
import type { ActionRegistry } from './action-registry.js';
import type { ActionRun } from './action-run.js';
import type { ActionsService } from './actions.service.js';
import { InProcessRunEvents } from './run-events.js';

/** A response that takes every write; records the frames. */
class FakeResponse extends EventEmitter {
  readonly written: string[] = [];
  writableLength = 0;
  status(): this {
    return this;
  }
  set(): this {
    return this;
  }
  flushHeaders(): void {}
  write(frame: string): boolean {
    this.written.push(frame);
    return true;
  }
  end(): void {}
  destroy(): void {}
  /** The events written, as `[id, event, status]`. */
  get events(): [string | undefined, string, string][] {
    return this.written
      .filter((frame) => !frame.startsWith(':'))
      .map((frame) => {
        const field = (name: string) => new RegExp(`^${name}: (.*)$`, 'm').exec(frame)?.[1];
        return [field('id'), field('event')!, (JSON.parse(field('data')!) as { status: string }).status];
      });
  }
}

const run = (patch: Partial<ActionRun> = {}): ActionRun => ({
  actionUid: 'run-1',
  name: 'test',
  status: 'running',
  progress: 0,
  params: {},
  creationTime: '2026-01-01T00:00:00.000Z',
  ...patch,
});

describe('ActionEvents', () => {
  let runEvents: InProcessRunEvents;
  let events: ActionEvents;
  const current: ActionRun[] = [];

  beforeEach(() => {
    jest.useFakeTimers();
    runEvents = new InProcessRunEvents();
    const actions = { list: () => Promise.resolve(current) } as unknown as ActionsService;
    const registry = { require: () => undefined } as unknown as ActionRegistry;
    events = new ActionEvents(runEvents, actions, registry);
    events.onModuleInit();
  });

  afterEach(() => {
    events.onModuleDestroy();
    jest.useRealTimers();
  });

  async function open(lastEventId?: string): Promise<FakeResponse> {
    const response = new FakeResponse();
    await events.stream(response as unknown as Response, { lastEventId });
    return response;
  }

  it('tells status, step and progress changes apart, with increasing ids of one source', async () => {
    const response = await open();
    runEvents.publish(run({ status: 'queued' }));
    runEvents.publish(run({ status: 'running' }));
    runEvents.publish(run({ progress: 10, step: 'a' }));
    runEvents.publish(run({ progress: 20, step: 'a' }));
    runEvents.publish(run({ progress: 20, step: 'a', cancellable: false }));
    runEvents.publish(run({ status: 'completed', progress: 100, step: 'a', cancellable: false }));
    runEvents.publish(run({ status: 'completed', progress: 100, hidden: true }));
    const written = response.events;
    expect(written.map(([, kind, status]) => [kind, status])).toEqual([
      ['status', 'queued'],
      ['status', 'running'],
      ['step', 'running'],
      ['progress', 'running'],
      ['status', 'running'], // cancellable turned false
      ['status', 'completed'],
    ]);
    const ids = written.map(([id]) => /^([0-9a-f]{8})-(\d+)$/.exec(id!)!);
    expect(new Set(ids.map((id) => id[1])).size).toBe(1);
    expect(ids.map((id) => Number(id[2]))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('sends a heartbeat comment every 15 s', async () => {
    const response = await open();
    jest.advanceTimersByTime(HEARTBEAT_MS - 1);
    expect(response.written).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(response.written).toEqual([': heartbeat\n\n']);
  });

  it('resumes after an id still in its history; starts from the current state otherwise', async () => {
    const first = await open();
    for (let i = 1; i <= 5; i++) runEvents.publish(run({ progress: i }));
    const [third] = first.events[2];
    expect((await open(third)).events.map(([id]) => id)).toEqual(first.events.slice(3).map(([id]) => id));

    current.splice(0, current.length, run({ progress: 5 }));
    const source = third!.split('-')[0];
    const other = source === '00000000' ? '00000001' : '00000000';
    for (const unknown of [`${other}-3`, `${source}-99`, 'garbage']) {
      expect((await open(unknown)).events).toEqual([[undefined, 'status', 'running']]);
    }

    // Pushed out of the bounded history: no longer resumable.
    for (let i = 0; i < EVENT_HISTORY_SIZE; i++) runEvents.publish(run({ progress: 5 }));
    expect((await open(third)).events).toEqual([[undefined, 'status', 'running']]);
  });
});
