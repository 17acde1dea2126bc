import { jest } from '@jest/globals';
import { createTestApp, type TestApp } from '../support/app.js';

const FAILURE_LIMIT = 3;

describe('client address behind a load balancer (TRUST_PROXY)', () => {
  let t: TestApp;

  afterEach(async () => {
    jest.restoreAllMocks();
    await t.close();
  });

  /** A login from the client that `forwarded` names in X-Forwarded-For: the status and error code. */
  async function login(credentials: readonly [string, string], forwarded: string) {
    const response = await t.http
      .get('/v1/nodes')
      .auth(...credentials)
      .set('X-Forwarded-For', forwarded);
    return { status: response.status, code: (response.body as { error_code?: string }).error_code };
  }

  it('off (the default): X-Forwarded-For is ignored, so a new one per guess does not dodge the throttle', async () => {
    t = await createTestApp({ env: { LOGIN_FAILURE_LIMIT: String(FAILURE_LIMIT) } });
    const [email, password] = await t.userWithRole('cluster_viewer');
    for (let i = 0; i < FAILURE_LIMIT; i++) {
      expect(await login([email, `guess-${i}`], `203.0.113.${i + 1}`)).toEqual({
        status: 401,
        code: 'unauthorized',
      });
    }
    expect(await login([email, password], '203.0.113.99')).toEqual({
      status: 429,
      code: 'too_many_login_failures',
    });
  });

  it('on: clients behind the proxy are throttled apart, and the audit trail names the forwarded client', async () => {
    t = await createTestApp({
      env: { LOGIN_FAILURE_LIMIT: String(FAILURE_LIMIT), TRUST_PROXY: 'loopback', AUDIT_LOG: 'on' },
    });
    const [email, password] = await t.userWithRole('cluster_viewer');
    for (let i = 0; i < FAILURE_LIMIT; i++) {
      expect((await login([email, `guess-${i}`], '203.0.113.1')).status).toBe(401);
    }
    expect(await login([email, password], '203.0.113.1')).toEqual({
      status: 429,
      code: 'too_many_login_failures',
    });
    // Another client behind the same proxy (the same socket address) is not stopped; the proxy's own entry is
    // appended after the client's, as a load balancer does.
    expect((await login([email, password], '198.51.100.7, 127.0.0.1')).status).toBe(200);

    const lines: string[] = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    await t.http
      .post('/v1/users')
      .auth(...t.admin)
      .set('X-Forwarded-For', '198.51.100.8')
      .send({ email: 'proxied@test.local', password: 'proxied-password', role: 'none' })
      .expect(200);
    const audit = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(audit).toEqual([expect.objectContaining({ audit: 'user.create', from: '198.51.100.8' })]);
  });
});
