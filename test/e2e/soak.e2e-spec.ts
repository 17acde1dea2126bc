import { Module } from '@nestjs/common';
import autocannon from 'autocannon';
import type { AddressInfo } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { ActionRunner } from '../../src/actions/action-runner.js';
import { ClusterAction, ClusterActionHandler, type ActionContext } from 'cluster-actions';
import { createTestApp, type TestApp } from '../support/app.js';

/** A short run with a few progress reports, so that soak traffic exercises the whole runner. */
@ClusterAction({ name: 'soak_action' })
class SoakActionHandler extends ClusterActionHandler {
  async run(_params: object, { signal, progress }: ActionContext): Promise<void> {
    for (const percent of [25, 50, 75]) {
      await progress(percent);
      await sleep(1, undefined, { signal });
    }
  }
}

@Module({ providers: [SoakActionHandler] })
class SoakModule {}

const SOAK_SECONDS = Number(process.env.SOAK_SECONDS ?? 25);
const gc = (globalThis as { gc?: () => void }).gc;

async function settledHeap(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc!();
    await sleep(50);
  }
  return process.memoryUsage().heapUsed;
}

const SOAK = '/v1/cluster/actions/soak_action';
const CHANGE_MASTER = '/v1/cluster/actions/change_master';
/** A JSON body as the soak sees it. */
type Body = Record<string, unknown>;
type Check = (body: Body) => boolean;

const exactly =
  (expected: object): Check =>
  (body) =>
    isDeepStrictEqual(body, expected);
const inProgress = (action: string) =>
  exactly({
    error_code: 'action_in_progress',
    description: `A run of action "${action}" is already in progress.`,
  });
const SOAK_NOT_FOUND = exactly({
  error_code: 'action_not_found',
  description: 'Action "soak_action" is not running and has no stored status.',
});
const isRun =
  (name: string, status?: string): Check =>
  (body) =>
    body.name === name && (status === undefined || body.status === status);

/**
 * Each kind of request the soak sends, and every answer it may get: a status and what its JSON body must be.
 * Anything else is counted as unexpected.
 */
const KINDS: readonly {
  readonly name: string;
  readonly method: string;
  readonly path: string;
  readonly body?: string;
  readonly authenticated: boolean;
  readonly answers: Readonly<Record<number, Check>>;
}[] = [
  {
    name: 'start',
    method: 'POST',
    path: SOAK,
    body: '{}',
    authenticated: true,
    answers: { 200: isRun('soak_action', 'queued'), 409: inProgress('soak_action') },
  },
  {
    name: 'read',
    method: 'GET',
    path: SOAK,
    authenticated: true,
    answers: { 200: isRun('soak_action'), 404: SOAK_NOT_FOUND },
  },
  {
    name: 'cancel or remove',
    method: 'DELETE',
    path: SOAK,
    authenticated: true,
    answers: { 200: isRun('soak_action'), 404: SOAK_NOT_FOUND },
  },
  {
    name: 'list',
    method: 'GET',
    path: '/v1/cluster/actions',
    authenticated: true,
    answers: { 200: (body) => Array.isArray(body.actions) },
  },
  ...['2', '3'].map((node) => ({
    name: `change master to ${node}`,
    method: 'POST',
    path: CHANGE_MASTER,
    body: JSON.stringify({ node_uid: node }),
    authenticated: true,
    answers: { 200: isRun('change_master', 'queued'), 409: inProgress('change_master') },
  })),
  {
    name: 'node status',
    method: 'GET',
    path: '/v1/nodes/status',
    authenticated: true,
    answers: {
      200: (body) => Object.values(body).filter((node) => (node as Body).role === 'master').length === 1,
    },
  },
  {
    name: 'malformed body',
    method: 'POST',
    path: SOAK,
    body: '[',
    authenticated: true,
    answers: {
      400: exactly({ error_code: 'invalid_request', description: 'The request body is not valid JSON.' }),
    },
  },
  {
    name: 'no credentials',
    method: 'GET',
    path: '/v1/cluster/actions',
    authenticated: false,
    answers: {
      401: exactly({
        error_code: 'unauthorized',
        description: 'Valid credentials are required (HTTP Basic, email and password).',
      }),
    },
  },
];

/** Whether `body` (as received) is valid JSON that passes `check`. */
function passes(check: Check, body: string): boolean {
  try {
    return check(JSON.parse(body) as Body);
  } catch {
    return false;
  }
}

describe('soak', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ imports: [SoakModule], env: { CHANGE_MASTER_STEP_MS: '0' } });
  });

  afterAll(() => t.close());

  /** kind -> status -> how many answers. */
  type Tally = Map<string, Map<number, number>>;

  function load(seconds: number, tally: Tally, unexpected: string[]): Promise<autocannon.Result> {
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    const auth = `Basic ${Buffer.from(t.admin.join(':')).toString('base64')}`;
    return autocannon({
      url: `http://127.0.0.1:${port}`,
      connections: 64,
      duration: seconds,
      requests: KINDS.map((kind) => {
        const statuses = new Map<number, number>();
        tally.set(kind.name, statuses);
        return {
          method: kind.method as autocannon.Request['method'],
          path: kind.path,
          headers: {
            'content-type': 'application/json',
            ...(kind.authenticated ? { authorization: auth } : {}),
          },
          body: kind.body,
          onResponse: (status: number, body: string) => {
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
            const check = kind.answers[status];
            if ((!check || !passes(check, body)) && unexpected.length < 20)
              unexpected.push(`${kind.name}: ${status} ${body.slice(0, 200)}`);
          },
        };
      }),
    });
  }

  it(
    `serves ${SOAK_SECONDS}s of mixed traffic with only the answers each request allows, and memory returns to its baseline`,
    async () => {
      expect(gc).toBeDefined(); // run Jest with node --expose-gc
      await load(2, new Map(), []); // warm-up: JIT, caches, connection pools
      const baseline = await settledHeap();

      const tally: Tally = new Map();
      const unexpected: string[] = [];
      const result = await load(SOAK_SECONDS, tally, unexpected);
      expect(result.errors).toBe(0);
      expect(result.timeouts).toBe(0);
      expect(result.requests.total).toBeGreaterThan(1000);
      expect(unexpected).toEqual([]);
      // Every kind was answered, and every answer autocannon counted went through the checks.
      expect([...tally.values()].every((statuses) => statuses.size > 0)).toBe(true);
      const checked = new Map<string, number>();
      for (const statuses of tally.values())
        for (const [status, count] of statuses)
          checked.set(`${status}`, (checked.get(`${status}`) ?? 0) + count);
      const counted = Object.entries(result.statusCodeStats ?? {}).map(([status, { count }]) => [
        status,
        count,
      ]);
      expect(Object.fromEntries(checked)).toEqual(Object.fromEntries(counted));

      const runner = t.app.get(ActionRunner);
      for (let i = 0; i < 200 && runner.activeRuns > 0; i++) await sleep(10);
      expect(runner.activeRuns).toBe(0);
      const after = await settledHeap();
      const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
      const answered = [...tally].map(
        ([name, statuses]) => `${name} ${JSON.stringify(Object.fromEntries(statuses))}`,
      );
      console.info(
        `soak: ${result.requests.total} requests (${result.requests.average} req/s), ` +
          `heap ${mb(baseline)} MB -> ${mb(after)} MB\n${answered.join('\n')}`,
      );
      // Generous for allocator noise; a leak per request would be far beyond it after this many requests.
      expect(after - baseline).toBeLessThan(8 * 1024 * 1024);
    },
    (SOAK_SECONDS + 30) * 1000,
  );
});
