import { jest } from '@jest/globals';
import { createTestApp, type TestApp } from '../support/app.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface LogLine {
  readonly reqId?: string;
  readonly msg?: string;
  readonly context?: string;
  readonly audit?: string;
  readonly [field: string]: unknown;
}

interface Captured {
  lines(): LogLine[];
  raw(): string;
  clear(): void;
}

/** Lines are written when the current turn of the event loop ends (see StdoutLines). */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** The service's output as it would reach a log collector: JSON lines on stdout (and none on the test's). */
function captureStdout(): Captured {
  const chunks: string[] = [];
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  const raw = () => chunks.join('');
  const lines = () =>
    raw()
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as LogLine);
  return { lines, raw, clear: () => chunks.splice(0) };
}

/** An app whose output is captured from its first line; the start-up lines are dropped. */
async function appWithCapturedOutput(env: Record<string, string>): Promise<[TestApp, Captured]> {
  const out = captureStdout();
  const app = await createTestApp({ env });
  await nextTurn(); // the last start-up lines, so that they are dropped
  out.clear();
  return [app, out];
}

describe('structured logs', () => {
  let t: TestApp;
  let out: Captured;

  afterEach(async () => {
    await t.close();
    await nextTurn(); // the stop's lines, so that they are captured rather than printed
    jest.restoreAllMocks();
  });

  describe('at LOG_LEVEL=log with the audit trail on', () => {
    beforeEach(async () => {
      [t, out] = await appWithCapturedOutput({
        LOG_LEVEL: 'log',
        AUDIT_LOG: 'on',
        CHANGE_MASTER_STEP_MS: '5000',
      });
    });

    it("tags the request's lines and its audit line with the caller's X-Request-Id, and echoes it", async () => {
      await t.http
        .post('/v1/cluster/actions/change_master')
        .set('X-Request-Id', 'abc-123')
        .auth(...t.admin)
        .send({ node_uid: '2' })
        .expect(200)
        .expect('X-Request-Id', 'abc-123');

      const tagged = out.lines().filter((line) => line.reqId === 'abc-123');
      expect(tagged).toContainEqual(
        expect.objectContaining({ context: 'Audit', audit: 'action.start', by: t.admin[0] }),
      );
      expect(tagged).toContainEqual(
        expect.objectContaining({
          msg: 'request completed',
          method: 'POST',
          url: '/v1/cluster/actions/change_master',
          route: '/v1/cluster/actions/:action',
          status: 200,
          duration_ms: expect.any(Number),
        }),
      );
    });

    it.each([
      ['malformed', 'not an id!'],
      ['oversized', 'a'.repeat(129)],
    ])('replaces a %s X-Request-Id with a new one, echoed and logged', async (_case, given) => {
      const response = await t.http.get('/health').set('X-Request-Id', given).expect(200);
      const id = response.headers['x-request-id'];
      expect(id).toMatch(UUID);
      expect(out.lines()).toContainEqual(expect.objectContaining({ reqId: id, msg: 'request completed' }));
      expect(out.raw()).not.toContain(given);
    });

    it('gives every request an id, even one refused before routing', async () => {
      // A cross-site POST is refused by a middleware before any route is matched.
      const response = await t.http
        .post('/v1/cluster/actions/change_master')
        .set('Sec-Fetch-Site', 'cross-site')
        .send({})
        .expect(403);
      expect(response.headers['x-request-id']).toMatch(UUID);
      expect(out.lines()).toContainEqual(
        expect.objectContaining({ reqId: response.headers['x-request-id'], route: 'unmatched', status: 403 }),
      );
    });

    it('never writes a password or an Authorization value', async () => {
      const authorization = `Basic ${Buffer.from(`${t.admin[0]}:${t.admin[1]}`).toString('base64')}`;
      await t.http
        .post('/v1/users')
        .set('Authorization', authorization)
        .send({ email: 'logged@test.local', password: 'logged-password', role: 'none' })
        .expect(200);
      await t.http.get('/v1/users').auth('logged@test.local', 'wrong-password').expect(401);
      const raw = out.raw();
      expect(out.lines().length).toBeGreaterThanOrEqual(3);
      for (const secret of [t.admin[1], 'logged-password', 'wrong-password', authorization.slice(6)]) {
        expect(raw).not.toContain(secret);
      }
      expect(raw).not.toMatch(/authorization/i);
    });
  });

  it('writes no request lines with LOG_REQUESTS=off, and still the audit trail', async () => {
    [t, out] = await appWithCapturedOutput({ LOG_LEVEL: 'log', LOG_REQUESTS: 'off', AUDIT_LOG: 'on' });
    await t.http.get('/health').expect(200);
    await t.http
      .post('/v1/users')
      .set('X-Request-Id', 'quiet-1')
      .auth(...t.admin)
      .send({ email: 'quiet@test.local', password: 'quiet-password', role: 'none' })
      .expect(200)
      .expect('X-Request-Id', 'quiet-1');
    expect(out.lines()).toEqual([expect.objectContaining({ reqId: 'quiet-1', audit: 'user.create' })]);
  });
});
