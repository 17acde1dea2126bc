import { ActionEvents } from '../../src/actions/action-events.js';
import { MAX_QUEUED_EVENTS } from '../../src/actions/event-stream.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { createReplicaApps, type ReplicaApps } from '../support/replica-apps.js';
import { seqOf, SseClient, type SseEvent } from '../support/sse.js';
import { TEST_ACTION, TestActionModule, TestGate, type GatedRun } from '../support/test-action.js';

const path = `/v1/cluster/actions/${TEST_ACTION}`;
const EVENTS = `${path}/events`;
const ALL_EVENTS = '/v1/cluster/actions/events';

const kinds = (events: SseEvent[]) => events.map((event) => [event.event, event.data?.status]);

/** Drives a run through progress, two steps and completion; returns once it has completed. */
async function driveToCompletion(run: GatedRun): Promise<void> {
  await run.progress(30, 'copy');
  await run.progress(60, 'copy');
  await run.progress(80, 'verify');
  run.complete();
  await run.done;
}

describe('server-sent events of action changes', () => {
  let t: TestApp;
  const clients: SseClient[] = [];

  async function open(streamPath: string, headers?: Record<string, string>): Promise<SseClient> {
    const client = await SseClient.open(t.app, streamPath, t.admin, headers);
    clients.push(client);
    return client;
  }

  async function start(): Promise<GatedRun> {
    await t.http
      .post(path)
      .auth(...t.admin)
      .send({})
      .expect(200);
    return t.app.get(TestGate).next();
  }

  beforeEach(async () => {
    t = await createTestApp({ imports: [TestActionModule], env: { MAX_CONNECTIONS: '1100' } });
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await t.close();
  });

  it('streams a run through to completed with the kind of each change and increasing ids', async () => {
    const one = await open(EVENTS);
    const all = await open(ALL_EVENTS);
    expect(one.response.statusCode).toBe(200);
    expect(one.response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    await driveToCompletion(await start());
    const events = await one.until('completed');
    expect(events.map((event) => event.event)).toEqual([
      'status', // queued
      'status', // starting
      'status', // running
      'step', // copy
      'progress', // 60
      'step', // verify
      'status', // completed
    ]);
    expect(events.map((event) => event.data?.status)).toEqual([
      'queued',
      'starting',
      'running',
      'running',
      'running',
      'running',
      'completed',
    ]);
    const seqs = events.map(seqOf);
    expect(seqs.every((seq, i) => Number.isInteger(seq) && (i === 0 || seq > seqs[i - 1]))).toBe(true);
    // The data is the action object, as GET answers it.
    const get = await t.http
      .get(path)
      .auth(...t.admin)
      .expect(200);
    expect(events.at(-1)?.data).toEqual(get.body);
    expect(kinds(await all.until('completed'))).toEqual(kinds(events));
  });

  it('refuses an unknown action type, and a user without the view permission', async () => {
    const unknown = await open('/v1/cluster/actions/no_such_action/events');
    expect(unknown.response.statusCode).toBe(400);
    const refused = await SseClient.open(t.app, ALL_EVENTS, await t.userWithRole('none'));
    clients.push(refused);
    expect(refused.response.statusCode).toBe(403);
    const anonymous = await SseClient.open(t.app, EVENTS, ['nobody@test.local', 'wrong']);
    clients.push(anonymous);
    expect(anonymous.response.statusCode).toBe(401);
  });

  it('resumes with Last-Event-ID with exactly the events missed, and begins an unknown id with the current state', async () => {
    const witness = await open(EVENTS);
    const first = await open(EVENTS);
    const run = await start();
    await first.until('running');
    const lastSeen = first.events.at(-1)!;
    first.close();
    await driveToCompletion(run);
    await witness.until('completed');
    const missed = witness.events.filter((event) => seqOf(event) > seqOf(lastSeen));
    expect(missed.length).toBe(4);

    const resumed = await open(EVENTS, { 'last-event-id': lastSeen.id! });
    await resumed.until('completed');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(resumed.events).toEqual(missed);

    const elsewhere = await open(EVENTS, { 'last-event-id': 'ffffffff-12' });
    const [snapshot] = await elsewhere.waitFor((events) => events.length > 0);
    expect(snapshot).toEqual({ id: undefined, event: 'status', data: witness.events.at(-1)?.data });
  });

  it('holds a bounded amount for a client that stops reading: progress coalesced, a hopeless one cut off', async () => {
    const slow = await open(EVENTS);
    slow.response.pause();
    const run = await start();
    const bigStep = 'x'.repeat(8000); // large frames fill the socket buffers quickly
    const streams = t.app.get(ActionEvents).open;
    let mostHeld = { events: 0, bytes: 0 };
    for (let i = 1; i <= 3000; i++) {
      await run.progress(i / 40, bigStep);
      for (const stream of streams) {
        const held = stream.buffered;
        mostHeld = {
          events: Math.max(mostHeld.events, held.events),
          bytes: Math.max(mostHeld.bytes, held.bytes),
        };
      }
    }
    // Socket buffer (16 KB high-water mark) plus at most one frame over it, and one queued progress event.
    expect(mostHeld.bytes).toBeLessThan(16_384 + 2 * 8_500);
    expect(mostHeld.events).toBeLessThanOrEqual(2);
    run.complete();
    await run.done;
    slow.response.resume();
    const events = await slow.until('completed', 30_000);
    const progress = events.filter((event) => event.event === 'progress').length;
    expect(progress).toBeLessThan(3000 - 1); // coalesced while the client did not read
    expect(events.at(-1)?.data?.status).toBe('completed');
    slow.close();

    // Status and step changes are not dropped: a client that never reads is disconnected past the cap.
    const hopeless = await open(EVENTS);
    hopeless.response.pause();
    const next = await start();
    // Progress first, to fill the socket buffers (coalesced), then step changes, which are all kept.
    for (let i = 1; i <= 2000; i++) await next.progress(i / 40, bigStep);
    for (let i = 1; i <= MAX_QUEUED_EVENTS + 50; i++) {
      await next.progress(50 + i / 10, `${i}-${bigStep}`);
      for (const stream of streams) expect(stream.buffered.events).toBeLessThanOrEqual(MAX_QUEUED_EVENTS);
    }
    await hopeless.waitFor(() => hopeless.closed).catch(() => undefined);
    expect(hopeless.closed).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(streams.size).toBe(0); // forgotten by the server too
    next.complete();
  });

  it('a graceful stop ends open streams, a reading one and one that stopped reading, and answers waits', async () => {
    const reading = await open(ALL_EVENTS);
    const stalled = await open(EVENTS);
    stalled.response.pause();
    const run = await start();
    for (let i = 1; i <= 1000; i++) await run.progress(i / 20, 'x'.repeat(8000));
    const waiting = t.http
      .get(`${path}?wait=60`)
      .auth(...t.admin)
      .then((response) => response);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = performance.now();
    await t.close();
    expect(performance.now() - started).toBeLessThan(5000);
    await reading.waitFor(() => reading.closed);
    stalled.response.resume(); // a paused client sees the end only once it reads up to it
    await stalled.waitFor(() => stalled.closed);
    const response = await waiting;
    expect(response.status).toBe(200);
    t = await createTestApp({ imports: [TestActionModule] }); // for afterEach
  });

  it('keeps 1,000 open streams within a memory budget', async () => {
    const gc = (globalThis as { gc?: () => void }).gc!;
    gc();
    const before = process.memoryUsage().heapUsed;
    const streams = await Promise.all(Array.from({ length: 1000 }, () => open(ALL_EVENTS)));
    gc();
    const perStream = (process.memoryUsage().heapUsed - before) / 1000;
    // Client and server side of each connection are in this process.
    expect(perStream).toBeLessThan(64 * 1024);
    expect(t.app.get(ActionEvents).open.size).toBe(1000);
    const run = await start();
    run.complete();
    await Promise.all(streams.map((stream) => stream.until('completed')));
    console.log(`1000 streams: ${Math.round(perStream)} bytes of heap per stream (client and server)`);
  }, 30_000);
});

describe('server-sent events across two replicas on one PostgreSQL database', () => {
  let replicas: ReplicaApps;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    replicas = await createReplicaApps();
    ({ a, b } = replicas);
  });

  afterAll(() => replicas?.close());

  it("a stream on B sees A's run through to completed", async () => {
    const onB = await SseClient.open(b.app, EVENTS, b.admin);
    await a.http
      .post(path)
      .auth(...a.admin)
      .send({})
      .expect(200);
    await driveToCompletion(await a.app.get(TestGate).next());
    const events = await onB.until('completed');
    onB.close();
    expect(events.map((event) => event.event)).toEqual([
      'status',
      'status',
      'status',
      'step',
      'progress',
      'step',
      'status',
    ]);
    const seqs = events.map(seqOf);
    expect(seqs.every((seq, i) => i === 0 || seq > seqs[i - 1])).toBe(true);
  });
});
