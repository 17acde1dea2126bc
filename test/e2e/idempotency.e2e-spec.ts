import { jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type TestAgent from 'supertest/lib/agent.js';
import { IDEMPOTENCY_KEY_TTL_MS } from '../../src/actions/idempotency-key.js';
import { AuditLog } from '../../src/audit/audit-log.js';
import { Clock } from '../../src/common/clock.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { httpBytes, rawRequest } from '../support/raw-http.js';
import { createReplicaApps, type ReplicaApps } from '../support/replica-apps.js';
import { waitFor } from '../support/service-process.js';
import { TEST_ACTION, TestActionModule, TestGate } from '../support/test-action.js';

const path = `/v1/cluster/actions/${TEST_ACTION}`;
const KEY = 'Idempotency-Key';

/** A clock the test moves forward. */
class MovableClock extends Clock {
  offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
}

/** POSTs a start of the test action as `auth` with `key`. */
function start(http: TestAgent, auth: readonly [string, string], key: string, body: object = {}) {
  return http
    .post(path)
    .auth(...auth)
    .set(KEY, key)
    .send(body);
}

/** The run of the test action once it is terminal. */
async function finished(http: TestAgent, auth: readonly [string, string]) {
  return (
    await http
      .get(`${path}?wait=5`)
      .auth(...auth)
      .expect(200)
  ).body as { action_uid: string; status: string };
}

describe('Idempotency-Key on POST /v1/cluster/actions/{action}', () => {
  const clock = new MovableClock();
  let t: TestApp;
  let gate: TestGate;

  beforeEach(async () => {
    clock.offsetMs = 0;
    t = await createTestApp({ imports: [TestActionModule], clock });
    gate = t.app.get(TestGate);
  });

  afterEach(() => t.close());

  it('answers a retry with the same key and body with the original run, active or finished, never 409', async () => {
    const audit = jest.spyOn(t.app.get(AuditLog), 'record');
    const first = await start(t.http, t.admin, 'retry-1', { label: 'a', ignore_signal: false }).expect(200);
    // While the run is active, and with the body's fields in another order.
    const retry = await start(t.http, t.admin, 'retry-1', { ignore_signal: false, label: 'a' }).expect(200);
    expect(retry.body.action_uid).toBe(first.body.action_uid);
    (await gate.next()).complete();
    expect(await finished(t.http, t.admin)).toMatchObject({
      action_uid: first.body.action_uid,
      status: 'completed',
    });
    const late = await start(t.http, t.admin, 'retry-1', { label: 'a', ignore_signal: false }).expect(200);
    expect(late.body).toMatchObject({ action_uid: first.body.action_uid, status: 'completed' });
    // The run as it is now: the same as a GET answers.
    expect(late.body).toEqual(
      (
        await t.http
          .get(path)
          .auth(...t.admin)
          .expect(200)
      ).body,
    );
    const history = await t.http
      .get(`${path}/history`)
      .auth(...t.admin)
      .expect(200);
    expect(history.body.actions).toHaveLength(1);
    // One start in the audit trail: the retries answered a run, they started none.
    expect(audit.mock.calls.filter(([event]) => event === 'action.start')).toHaveLength(1);
  });

  it('refuses the same key with another body or for another action with 422 idempotency_key_reused', async () => {
    await start(t.http, t.admin, 'reused', { label: 'a' }).expect(200);
    const reused = { error_code: 'idempotency_key_reused', description: expect.stringContaining('reused') };
    for (const body of [{ label: 'b' }, {}, { label: 'a', ignore_signal: true }]) {
      const answer = await start(t.http, t.admin, 'reused', body).expect(422);
      expect(answer.body).toEqual(reused);
    }
    const other = await t.http
      .post('/v1/cluster/actions/change_master')
      .auth(...t.admin)
      .set(KEY, 'reused')
      .send({ node_uid: '2' })
      .expect(422);
    expect(other.body).toEqual(reused);
    // Nothing of those reached the store: still the one run, still active.
    (await gate.next()).complete();
    await finished(t.http, t.admin);
    expect(gate.takeEntered()).toEqual([]);
  });

  it.each([
    ['empty', ''],
    ['256 characters', 'k'.repeat(256)],
    ['non-ASCII', 'clé'],
    ['a tab', 'a\tb'],
    ['a space', 'a b'],
  ])('refuses a key that is %s with 400 invalid_request, starting nothing', async (_case, key) => {
    const answer = await start(t.http, t.admin, key).expect(400);
    expect(answer.body).toEqual({
      error_code: 'invalid_request',
      description: 'Idempotency-Key must be 1 to 255 visible ASCII characters.',
    });
    await t.http
      .get(path)
      .auth(...t.admin)
      .expect(404);
  });

  it('refuses control characters no HTTP client sends (DEL, NUL, ESC) and a repeated header with 400', async () => {
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    const credentials = Buffer.from(t.admin.join(':')).toString('base64');
    type Header = readonly [string, string];
    const keyHeaders: Header[][] = [
      ...['\x7f', '\x00', '\x1b'].map((control): Header[] => [[KEY, `a${control}b`]]),
      [
        [KEY, 'first'],
        [KEY, 'second'],
      ],
    ];
    for (const keys of keyHeaders) {
      const headers: Header[] = [
        ['Authorization', `Basic ${credentials}`],
        ['Content-Type', 'application/json'],
        ...keys,
      ];
      const answer = await rawRequest(port, httpBytes('POST', path, headers, '{}'));
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.text)).toMatchObject({ error_code: 'invalid_request' });
    }
    expect(gate.takeEntered()).toEqual([]);
  });

  it('accepts a key of 255 visible ASCII characters', async () => {
    const key = `${'!~'.repeat(127)}Z`;
    const first = await start(t.http, t.admin, key).expect(200);
    const retry = await start(t.http, t.admin, key).expect(200);
    expect(retry.body.action_uid).toBe(first.body.action_uid);
    (await gate.next()).complete();
  });

  it("keeps keys per user: another user's same key is independent", async () => {
    const other = await t.userWithRole('admin');
    const mine = await start(t.http, t.admin, 'shared').expect(200);
    // The other user's key starts nothing of its own while the first run is active: a plain 409.
    const blocked = await start(t.http, other, 'shared').expect(409);
    expect(blocked.body.error_code).toBe('action_in_progress');
    (await gate.next()).complete();
    await finished(t.http, t.admin);
    const theirs = await start(t.http, other, 'shared', { label: 'other' }).expect(200);
    expect(theirs.body.action_uid).not.toBe(mine.body.action_uid);
    expect(theirs.body.started_by).toBe(other[0]);
    // Each retry answers its own user's run.
    expect((await start(t.http, t.admin, 'shared').expect(200)).body.action_uid).toBe(mine.body.action_uid);
    expect((await start(t.http, other, 'shared', { label: 'other' }).expect(200)).body.action_uid).toBe(
      theirs.body.action_uid,
    );
    (await gate.next()).complete();
  });

  it('creates exactly one run of 20 parallel POSTs with one key, and answers it to every one', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => start(t.http, t.admin, 'parallel')));
    expect(answers.map((answer) => answer.status)).toEqual(Array.from({ length: 20 }, () => 200));
    const uids = new Set(answers.map((answer) => answer.body.action_uid as string));
    expect(uids.size).toBe(1);
    (await gate.next()).complete();
    await finished(t.http, t.admin);
    expect(gate.takeEntered()).toEqual([]);
    const history = await t.http
      .get(`${path}/history`)
      .auth(...t.admin)
      .expect(200);
    const runs = history.body.actions as { action_uid: string }[];
    expect(runs.map((run) => run.action_uid)).toEqual([...uids]);
  });

  it('keeps a key 24 hours, then forgets it: the key starts a new run', async () => {
    const first = await start(t.http, t.admin, 'daily').expect(200);
    (await gate.next()).complete();
    await finished(t.http, t.admin);
    clock.offsetMs = IDEMPOTENCY_KEY_TTL_MS - 1000;
    expect((await start(t.http, t.admin, 'daily').expect(200)).body.action_uid).toBe(first.body.action_uid);
    clock.offsetMs = IDEMPOTENCY_KEY_TTL_MS;
    // Forgotten: even another body is a new request now.
    const next = await start(t.http, t.admin, 'daily', { label: 'next day' }).expect(200);
    expect(next.body.action_uid).not.toBe(first.body.action_uid);
    expect((await start(t.http, t.admin, 'daily', { label: 'next day' }).expect(200)).body.action_uid).toBe(
      next.body.action_uid,
    );
    (await gate.next()).complete();
  });

  it('does not use up a key on a start refused by the precheck or by an active run', async () => {
    await start(t.http, t.admin, 'refused', { label: 'refuse' }).expect(406);
    await start(t.http, t.admin, 'busy').expect(200);
    await start(t.http, t.admin, 'blocked').expect(409);
    (await gate.next()).complete();
    await finished(t.http, t.admin);
    await start(t.http, t.admin, 'blocked', { label: 'now' }).expect(200);
    (await gate.next()).complete();
    await finished(t.http, t.admin);
    await start(t.http, t.admin, 'refused', { label: 'another' }).expect(200);
    (await gate.next()).complete();
  });
});

describe('Idempotency-Key on a SQLite file', () => {
  const folder = mkdtempSync(join(tmpdir(), 'cluster-actions-idempotency-'));
  const env = { DATABASE_URL: `sqlite:${join(folder, 'state.db')}`, CLUSTER_NODES: '1,2,3' };

  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('keeps keys across a restart', async () => {
    const startMaster = (t: TestApp, node_uid: string) =>
      t.http
        .post('/v1/cluster/actions/change_master')
        .auth(...t.admin)
        .set(KEY, 'before-restart')
        .send({ node_uid });
    const first = await createTestApp({ env });
    const started = await startMaster(first, '2').expect(200);
    await first.http
      .get('/v1/cluster/actions/change_master?wait=5')
      .auth(...first.admin)
      .expect(200);
    await first.close();

    const second = await createTestApp({ env });
    try {
      const retry = await startMaster(second, '2').expect(200);
      expect(retry.body).toMatchObject({ action_uid: started.body.action_uid, status: 'completed' });
      await startMaster(second, '3').expect(422);
    } finally {
      await second.close();
    }
  });
});

describe('Idempotency-Key across two replicas on PostgreSQL', () => {
  let replicas: ReplicaApps;

  beforeAll(async () => {
    replicas = await createReplicaApps();
  });

  afterAll(() => replicas?.close());

  it('answers a retry on replica B with the run started on A, and refuses another body there', async () => {
    const { a, b } = replicas;
    const started = await start(a.http, a.admin, 'replicated', { label: 'x' }).expect(200);
    const run = await a.app.get(TestGate).next();
    const retry = await start(b.http, b.admin, 'replicated', { label: 'x' }).expect(200);
    expect(retry.body.action_uid).toBe(started.body.action_uid);
    await start(b.http, b.admin, 'replicated', { label: 'y' }).expect(422);
    run.complete();
    expect(await finished(b.http, b.admin)).toMatchObject({
      action_uid: started.body.action_uid,
      status: 'completed',
    });
    expect((await start(b.http, b.admin, 'replicated', { label: 'x' }).expect(200)).body).toMatchObject({
      action_uid: started.body.action_uid,
      status: 'completed',
    });
  });

  it('creates exactly one run of 20 parallel POSTs with one key spread over both replicas', async () => {
    const { a, b } = replicas;
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, index) => {
        const replica = index % 2 === 0 ? a : b;
        return start(replica.http, replica.admin, 'parallel-replicas');
      }),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array.from({ length: 20 }, () => 200));
    const uids = new Set(answers.map((answer) => answer.body.action_uid as string));
    expect(uids.size).toBe(1);
    const [uid] = uids;
    // The run enters the handler of the replica that stored it, once; no other run enters either.
    const [run] = await waitFor('the run to enter a handler', () => {
      const entered = [...a.app.get(TestGate).takeEntered(), ...b.app.get(TestGate).takeEntered()];
      return Promise.resolve(entered.length > 0 ? entered : undefined);
    });
    run.complete();
    expect(await finished(a.http, a.admin)).toMatchObject({ action_uid: uid, status: 'completed' });
    const history = await a.http
      .get(`${path}/history`)
      .auth(...a.admin)
      .expect(200);
    expect(history.body.actions[0].action_uid).toBe(uid);
    expect(history.body.actions).toHaveLength(2);
    expect([...a.app.get(TestGate).takeEntered(), ...b.app.get(TestGate).takeEntered()]).toEqual([]);
  });
});
