import type { ActionRun } from '../../src/actions/action-run.js';
import { RunEvents } from '../../src/actions/run-events.js';
import { MemoryActionsRepository } from '../../src/storage/memory/memory-actions.repository.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { createReplicaApps, type ReplicaApps } from '../support/replica-apps.js';
import { TEST_ACTION, TestActionModule, TestGate, type GatedRun } from '../support/test-action.js';

const path = `/v1/cluster/actions/${TEST_ACTION}`;

/** The memory store, whose next read of a run can be held open (to land changes between a wait's event and its read). */
class HeldReadRepository extends MemoryActionsRepository {
  private hold?: { reached: () => void; released: Promise<void> };

  /** Holds the next findLatest until `release`; `reached` resolves once it is waiting. */
  holdNextRead(): { reached: Promise<void>; release: () => void } {
    let reached!: () => void;
    let release!: () => void;
    const reachedPromise = new Promise<void>((resolve) => (reached = resolve));
    this.hold = { reached, released: new Promise<void>((resolve) => (release = resolve)) };
    return { reached: reachedPromise, release };
  }

  override async findLatest(name: string): Promise<ActionRun | undefined> {
    const hold = this.hold;
    if (hold) {
      this.hold = undefined;
      hold.reached();
      await hold.released;
    }
    return super.findLatest(name);
  }
}

describe('GET /v1/cluster/actions/{action}?wait=', () => {
  let t: TestApp;
  let repository: HeldReadRepository;

  beforeEach(async () => {
    repository = new HeldReadRepository();
    t = await createTestApp({ imports: [TestActionModule], actionsRepository: repository });
  });

  afterEach(() => t.close());

  async function startGated(): Promise<GatedRun> {
    await t.http
      .post(path)
      .auth(...t.admin)
      .send({})
      .expect(200);
    return t.app.get(TestGate).next();
  }

  /** Gives a request sent just before time to reach its wait (and subscribe). */
  function subscribed(): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, 100));
  }

  it('answers as soon as the run is terminal', async () => {
    const run = await startGated();
    const started = performance.now();
    const waiting = t.http.get(`${path}?wait=30`).auth(...t.admin);
    const answer = waiting.then((response) => response);
    await subscribed();
    await run.progress(50, 'half');
    run.complete();
    const response = await answer;
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ status: 'completed', progress: 100 });
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('answers at the timeout with the current state (decimal seconds)', async () => {
    const run = await startGated();
    const started = performance.now();
    const answer = t.http
      .get(`${path}?wait=0.5`)
      .auth(...t.admin)
      .then((response) => response);
    await subscribed();
    await run.progress(40, 'copying');
    const response = await answer;
    expect(performance.now() - started).toBeGreaterThanOrEqual(480);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ status: 'running', progress: 40, step: 'copying' });
    run.complete();
  });

  it('answers a terminal run at once, and wait=0 as a plain GET', async () => {
    const run = await startGated();
    run.complete();
    await run.done;
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = performance.now();
    const response = await t.http
      .get(`${path}?wait=60`)
      .auth(...t.admin)
      .expect(200);
    expect(response.body).toMatchObject({ status: 'completed' });
    expect(performance.now() - started).toBeLessThan(5000);
    await t.http
      .get(`${path}?wait=0`)
      .auth(...t.admin)
      .expect(200);
  });

  it('is 404 action_not_found when there is no run', async () => {
    const response = await t.http
      .get(`${path}?wait=1`)
      .auth(...t.admin)
      .expect(404);
    expect(response.body).toMatchObject({ error_code: 'action_not_found' });
  });

  it.each(['-1', '61', '60.5', '60.001', 'abc', '', '1e1', '0x10', '1.2345', ' 1', 'Infinity', 'NaN'])(
    'refuses wait=%j with 400 invalid_request',
    async (value) => {
      const response = await t.http
        .get(`${path}?wait=${encodeURIComponent(value)}`)
        .auth(...t.admin)
        .expect(400);
      expect(response.body).toEqual({
        error_code: 'invalid_request',
        description: 'wait must be a number of seconds from 0 to 60 (up to three decimals).',
      });
    },
  );

  it('refuses a repeated wait parameter', async () => {
    const response = await t.http
      .get(`${path}?wait=1&wait=2`)
      .auth(...t.admin)
      .expect(400);
    expect(response.body).toMatchObject({ error_code: 'invalid_request' });
  });

  it('ends with 404 when the run is removed while the wait reads it, and answers a run that replaced it', async () => {
    let run = await startGated();
    let answer = t.http
      .get(`${path}?wait=30`)
      .auth(...t.admin)
      .then((response) => response);
    await subscribed();
    let read = repository.holdNextRead();
    run.complete();
    await read.reached; // the wait's read after the completion, held
    await t.http
      .delete(path)
      .auth(...t.admin)
      .expect(200); // hides the completed run
    read.release();
    let response = await answer;
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ error_code: 'action_not_found' });

    run = await startGated();
    const first = (await t.http.get(path).auth(...t.admin)).body as { action_uid: string };
    answer = t.http
      .get(`${path}?wait=30`)
      .auth(...t.admin)
      .then((r) => r);
    await subscribed();
    read = repository.holdNextRead();
    run.complete();
    await read.reached;
    await t.http
      .delete(path)
      .auth(...t.admin)
      .expect(200);
    await t.http
      .post(path)
      .auth(...t.admin)
      .send({})
      .expect(200);
    read.release();
    response = await answer;
    expect(response.status).toBe(200);
    expect(response.body.action_uid).not.toBe(first.action_uid);
    expect(['queued', 'starting', 'running']).toContain(response.body.status);
    (await t.app.get(TestGate).next()).complete();
  });

  it('frees its subscription and timer when the client goes away', async () => {
    await startGated();
    // The in-process RunEvents keeps its subscribers in a set.
    const events = t.app.get<RunEvents, { listeners: Set<unknown> }>(RunEvents);
    const before = events.listeners.size;
    const request = t.http.get(`${path}?wait=30`).auth(...t.admin);
    request.then(
      () => undefined,
      () => undefined,
    );
    await subscribed();
    expect(events.listeners.size).toBe(before + 1);
    request.abort();
    await subscribed();
    expect(events.listeners.size).toBe(before);
  });
});

describe('?wait across two replicas on one PostgreSQL database', () => {
  let replicas: ReplicaApps;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    replicas = await createReplicaApps();
    ({ a, b } = replicas);
  });

  afterAll(() => replicas?.close());

  it('a wait on B ends when the run started on A completes', async () => {
    await a.http
      .post(path)
      .auth(...a.admin)
      .send({})
      .expect(200);
    const run = await a.app.get(TestGate).next();
    const started = performance.now();
    const answer = b.http
      .get(`${path}?wait=30`)
      .auth(...b.admin)
      .then((response) => response);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await run.progress(30);
    run.complete();
    const response = await answer;
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ status: 'completed', progress: 100 });
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});
