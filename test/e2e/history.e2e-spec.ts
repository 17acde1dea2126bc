import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HistoryRetentionSweep } from '../../src/actions/history-retention.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { pollAction, type ActionBody } from '../support/poll.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { TEST_ACTION, TestActionModule, TestGate } from '../support/test-action.js';

const path = `/v1/cluster/actions/${TEST_ACTION}`;
const historyPath = `${path}/history`;

interface HistoryBody {
  readonly actions: ActionBody[];
  readonly next_cursor: string | null;
}

type Outcome = 'completed' | 'failed' | 'cancelled';

/** One backend the history runs on: the DATABASE_URL of a fresh store, and its clean-up. */
interface Store {
  readonly url: () => Promise<string>;
  readonly dispose: () => Promise<void>;
}

function sqliteStore(): Store {
  const folder = mkdtempSync(join(tmpdir(), 'cluster-actions-history-'));
  let files = 0;
  return {
    url: () => Promise.resolve(`sqlite:${join(folder, `${++files}.db`)}`),
    dispose: () => Promise.resolve(rmSync(folder, { recursive: true, force: true })),
  };
}

function postgresStore(): Store {
  const databases: TestDatabase[] = [];
  return {
    async url() {
      const database = await createTestDatabase();
      databases.push(database);
      return database.url;
    },
    async dispose() {
      for (const database of databases.splice(0)) await database.drop();
    },
  };
}

const BACKENDS: [string, () => Store][] = [
  ['memory', () => ({ url: () => Promise.resolve('memory:'), dispose: () => Promise.resolve() })],
  ['sqlite', sqliteStore],
  ['postgres', postgresStore],
];

describe.each(BACKENDS)('run history on %s', (_backend, makeStore) => {
  let store: Store;
  let t: TestApp;
  let gate: TestGate;

  beforeAll(() => {
    store = makeStore();
  });
  afterAll(() => store.dispose());

  async function open(env: Record<string, string> = {}, url?: string): Promise<TestApp> {
    t = await createTestApp({
      imports: [TestActionModule],
      env: { DATABASE_URL: url ?? (await store.url()), ...env },
    });
    gate = t.app.get(TestGate);
    return t;
  }

  afterEach(() => t?.close());

  /** Starts a run of the test action as `auth` and takes it to `outcome`; returns the finished run. */
  async function runOnce(outcome: Outcome, auth: readonly [string, string] = t.admin): Promise<ActionBody> {
    await t.http
      .post(path)
      .auth(...auth)
      .send({})
      .expect(200);
    const run = await gate.next();
    if (outcome === 'completed') run.complete();
    else if (outcome === 'failed') run.fail(new Error('it broke'));
    else
      await t.http
        .delete(path)
        .auth(...t.admin)
        .expect(200);
    return (await pollAction(t.http, t.admin, TEST_ACTION)).at(-1)!;
  }

  const history = (query: Record<string, string> = {}, auth: readonly [string, string] = t.admin) =>
    t.http
      .get(historyPath)
      .query(query)
      .auth(...auth);

  async function historyOf(query: Record<string, string> = {}): Promise<HistoryBody> {
    return (await history(query).expect(200)).body as HistoryBody;
  }

  describe('GET /v1/cluster/actions/{action}/history', () => {
    beforeEach(() => open());

    it('answers every run newest first, hidden ones included, while the status route shows the latest', async () => {
      expect(await historyOf()).toEqual({ actions: [], next_cursor: null });
      const runs = [await runOnce('completed'), await runOnce('failed'), await runOnce('cancelled')];
      // DELETE of a finished run hides it from the status routes; history keeps it.
      await t.http
        .delete(path)
        .auth(...t.admin)
        .expect(200);
      await t.http
        .get(path)
        .auth(...t.admin)
        .expect(404);
      const body = await historyOf();
      expect(body.next_cursor).toBeNull();
      expect(body.actions.map((run) => [run.action_uid, run.status])).toEqual([
        [runs[2].action_uid, 'cancelled'],
        [runs[1].action_uid, 'failed'],
        [runs[0].action_uid, 'completed'],
      ]);
      expect(body.actions[1]).toEqual(runs[1]);

      await t.http
        .post(path)
        .auth(...t.admin)
        .send({})
        .expect(200);
      await gate.next();
      const active = (
        await t.http
          .get(path)
          .auth(...t.admin)
          .expect(200)
      ).body as ActionBody;
      expect((await historyOf()).actions[0]).toEqual(active);
    });

    it('pages with next_cursor until the last page, which has none', async () => {
      const runs: ActionBody[] = [];
      for (let index = 0; index < 5; index++) runs.push(await runOnce('completed'));
      const pages: string[][] = [];
      let cursor: string | null = null;
      do {
        const page: HistoryBody = await historyOf({ limit: '2', ...(cursor ? { cursor } : {}) });
        pages.push(page.actions.map((run) => run.action_uid));
        cursor = page.next_cursor;
      } while (cursor !== null);
      expect(pages).toEqual([
        [runs[4].action_uid, runs[3].action_uid],
        [runs[2].action_uid, runs[1].action_uid],
        [runs[0].action_uid],
      ]);
      // 20 by default
      expect((await historyOf()).actions).toHaveLength(5);
    });

    it('filters by status, by who started the run, and by creation time', async () => {
      const other = await t.userWithRole('admin');
      const runs = [
        await runOnce('completed'),
        await runOnce('failed', other),
        await runOnce('failed'),
        await runOnce('cancelled', other),
      ];
      const uids = async (query: Record<string, string>) =>
        (await historyOf(query)).actions.map((run) => run.action_uid);
      expect(await uids({ status: 'failed' })).toEqual([runs[2].action_uid, runs[1].action_uid]);
      expect(await uids({ status: 'aborted' })).toEqual([]);
      expect(await uids({ started_by: other[0] })).toEqual([runs[3].action_uid, runs[1].action_uid]);
      expect(await uids({ status: 'failed', started_by: other[0] })).toEqual([runs[1].action_uid]);
      const times = runs.map((run) => run.creation_time as string);
      expect(await uids({ since: times[2] })).toEqual([runs[3].action_uid, runs[2].action_uid]);
      expect(await uids({ until: times[1] })).toEqual([runs[0].action_uid]);
      expect(await uids({ since: times[1], until: times[3] })).toEqual([
        runs[2].action_uid,
        runs[1].action_uid,
      ]);
      // Any offset is read as the instant it names; a date alone is midnight UTC.
      const offset = new Date(times[2]).toISOString().replace('Z', '+00:00');
      expect(await uids({ since: offset })).toEqual([runs[3].action_uid, runs[2].action_uid]);
      expect(await uids({ until: '2000-01-01' })).toEqual([]);
    });

    const BAD_QUERIES = [
      ['status', 'done'],
      ['status', 'Completed'],
      ['started_by', ''],
      ['limit', '0'],
      ['limit', '101'],
      ['limit', '2.5'],
      ['limit', 'ten'],
      ['limit', '020'],
      ['since', 'yesterday'],
      ['since', '2026-02-30'],
      ['since', '2026-01-01T10:00:00'],
      ['until', '2026-01-01 10:00:00Z'],
      ['until', '1700000000'],
      ['cursor', 'not-a-cursor'],
      ['cursor', Buffer.from('0').toString('base64url')],
      ['cursor', ''],
      ['order', 'asc'],
    ];

    it('answers 400 invalid_request, naming the parameter, for every bad value', async () => {
      for (const [name, value] of BAD_QUERIES) {
        const response = await history({ [name]: value });
        expect([name, value, response.status]).toEqual([name, value, 400]);
        expect(response.body).toEqual({
          error_code: 'invalid_request',
          description: expect.stringContaining(name),
        });
      }
    });

    it('answers 400 invalid_request for a parameter given twice', async () => {
      const response = await t.http
        .get(`${historyPath}?status=failed&status=completed`)
        .auth(...t.admin)
        .expect(400);
      expect(response.body).toEqual({ error_code: 'invalid_request', description: expect.any(String) });
    });

    it('answers 400 unknown_action for an action type that does not exist, as POST does', async () => {
      await t.http
        .get('/v1/cluster/actions/no_such_action/history')
        .auth(...t.admin)
        .expect(400, {
          error_code: 'unknown_action',
          description: 'There is no action type named "no_such_action".',
        });
    });

    it('needs the view permission: a viewer reads it, no credentials is 401', async () => {
      await runOnce('completed');
      const viewer = await t.userWithRole('cluster_viewer');
      expect(((await history({}, viewer).expect(200)).body as HistoryBody).actions).toHaveLength(1);
      await t.http.get(historyPath).expect(401);
    });

    it('lives beside the status routes: /history is no action name, other methods are 405', async () => {
      await runOnce('completed');
      await t.http
        .get(path)
        .auth(...t.admin)
        .expect(200);
      const post = await t.http
        .post(historyPath)
        .auth(...t.admin)
        .send({})
        .expect(405);
      expect(post.headers.allow).toBe('GET');
      await t.http
        .get(`${historyPath}/more`)
        .auth(...t.admin)
        .expect(404);
    });
  });

  describe('retention', () => {
    const DAY_MS = 24 * 60 * 60 * 1000;

    it('keeps HISTORY_MAX_RUNS runs per action type, the newest', async () => {
      await open({ HISTORY_MAX_RUNS: '2' });
      const runs: ActionBody[] = [];
      for (let index = 0; index < 4; index++) runs.push(await runOnce('completed'));
      expect(await t.app.get(HistoryRetentionSweep).sweep()).toBe(2);
      expect((await historyOf()).actions.map((run) => run.action_uid)).toEqual([
        runs[3].action_uid,
        runs[2].action_uid,
      ]);
      await t.http
        .get(`/v1/actions/${runs[0].action_uid}`)
        .auth(...t.admin)
        .expect(404);
    });

    it('deletes runs older than HISTORY_MAX_AGE_DAYS, but never the latest run nor an active one', async () => {
      await open({ HISTORY_MAX_AGE_DAYS: '1' });
      await runOnce('completed');
      await runOnce('failed');
      const latest = await runOnce('cancelled');
      const sweep = t.app.get(HistoryRetentionSweep);
      expect(await sweep.sweep()).toBe(0);
      expect(await sweep.sweep(new Date(Date.now() + 2 * DAY_MS))).toBe(2);
      expect((await historyOf()).actions).toEqual([latest]);

      await t.http
        .post(path)
        .auth(...t.admin)
        .send({})
        .expect(200);
      await gate.next();
      expect(await sweep.sweep(new Date(Date.now() + 2 * DAY_MS))).toBe(1);
      const [active] = (await historyOf()).actions;
      expect(active).toMatchObject({ status: 'running' });
      expect(await sweep.sweep(new Date(Date.now() + 2 * DAY_MS))).toBe(0);
    });
  });
});

describe('retention at start-up (SQLite file)', () => {
  const folder = mkdtempSync(join(tmpdir(), 'cluster-actions-retention-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('trims a history kept under larger limits once the service starts with smaller ones', async () => {
    const env = { DATABASE_URL: `sqlite:${join(folder, 'state.db')}` };
    const first = await createTestApp({ imports: [TestActionModule], env });
    for (let index = 0; index < 4; index++) {
      await first.http
        .post(path)
        .auth(...first.admin)
        .send({})
        .expect(200);
      (await first.app.get(TestGate).next()).complete();
      await pollAction(first.http, first.admin, TEST_ACTION);
    }
    await first.close();
    const second = await createTestApp({
      imports: [TestActionModule],
      env: { ...env, HISTORY_MAX_RUNS: '1' },
    });
    try {
      const deadline = Date.now() + 5000;
      let count: number;
      do {
        await new Promise((resolve) => setTimeout(resolve, 20));
        count = (
          (
            await second.http
              .get(historyPath)
              .auth(...second.admin)
              .expect(200)
          ).body as HistoryBody
        ).actions.length;
      } while (count > 1 && Date.now() < deadline);
      expect(count).toBe(1);
    } finally {
      await second.close();
    }
  });
});
