import { createTestApp, type TestApp } from '../support/app.js';
import { FlakyActionsRepository } from '../support/flaky-actions.repository.js';
import { pollAction } from '../support/poll.js';
import { TEST_ACTION, TestActionModule, TestGate } from '../support/test-action.js';

const PATH = `/v1/cluster/actions/${TEST_ACTION}`;

/** The value of the sample `name{labels}` in a Prometheus text exposition, or undefined if absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = match[2] ? match[2].split(',') : [];
    if (wanted.every((pair) => present.includes(pair)) && present.length === wanted.length) {
      return Number(match[3]);
    }
  }
  return undefined;
}

describe('GET /metrics', () => {
  let t: TestApp;
  let gate: TestGate;

  beforeEach(async () => {
    t = await createTestApp({ imports: [TestActionModule] });
    gate = t.app.get(TestGate);
  });

  afterEach(() => t.close());

  const scrape = async (): Promise<string> => {
    const response = await t.http
      .get('/metrics')
      .auth(...t.admin)
      .expect(200)
      .expect('Content-Type', /^text\/plain; version=0\.0\.4/);
    return response.text;
  };

  it('counts a completed run and a failed one by action and status, and HTTP requests by route', async () => {
    await t.http
      .post(PATH)
      .auth(...t.admin)
      .expect(200);
    (await gate.next()).complete();
    await pollAction(t.http, t.admin, TEST_ACTION);
    await t.http
      .post(PATH)
      .auth(...t.admin)
      .expect(200);
    const failing = await gate.next();
    expect(sample(await scrape(), 'cluster_actions_runs_active', { status: 'running' })).toBe(1);
    failing.fail(new Error('boom'));
    await pollAction(t.http, t.admin, TEST_ACTION);

    const text = await scrape();
    const action = { action: TEST_ACTION };
    expect(sample(text, 'cluster_actions_runs_started_total', action)).toBe(2);
    expect(sample(text, 'cluster_actions_runs_finished_total', { ...action, status: 'completed' })).toBe(1);
    expect(sample(text, 'cluster_actions_runs_finished_total', { ...action, status: 'failed' })).toBe(1);
    expect(sample(text, 'cluster_actions_run_duration_seconds_count', { ...action, status: 'failed' })).toBe(
      1,
    );
    expect(sample(text, 'cluster_actions_runs_active', { status: 'running' })).toBe(0);
    expect(
      sample(text, 'http_request_duration_seconds_count', {
        route: '/v1/cluster/actions/:action',
        method: 'POST',
        status_code: '200',
      }),
    ).toBe(2);
    expect(text).toMatch(/^process_cpu_seconds_total /m);
  });

  it('is refused to anonymous clients (401) and to a role without view_cluster_stats (403)', async () => {
    await t.http.get('/metrics').expect(401);
    await t.http
      .get('/metrics')
      .auth(...(await t.userWithRole('none')))
      .expect(403);
    await t.http
      .get('/metrics')
      .auth(...(await t.userWithRole('db_viewer')))
      .expect(403);
    for (const role of ['cluster_viewer', 'cluster_member', 'user_manager'] as const) {
      await t.http
        .get('/metrics')
        .auth(...(await t.userWithRole(role)))
        .expect(200);
    }
  });

  it('counts password checks, credential-cache hits and throttled logins', async () => {
    // createTestApp's admin signs in once (a KDF run), then from the cache.
    await scrape();
    await scrape();
    const before = await scrape();
    const checks = sample(before, 'cluster_actions_password_checks_total', {})!;
    expect(checks).toBeGreaterThanOrEqual(1);
    expect(sample(before, 'cluster_actions_credential_cache_hits_total', {})).toBeGreaterThanOrEqual(2);

    const [email] = await t.userWithRole('none');
    for (let i = 0; i < 6; i++) await t.http.get('/v1/cluster/actions').auth(email, 'wrong-password');
    const after = await scrape();
    expect(sample(after, 'cluster_actions_password_checks_total', {})).toBe(checks + 5);
    expect(
      sample(after, 'cluster_actions_logins_throttled_total', { error_code: 'too_many_login_failures' }),
    ).toBe(1);
  });

  it('keeps one route label for any number of unknown paths', async () => {
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(
        Array.from({ length: 100 }, (_, i) => t.http.get(`/no/such/route-${batch}-${i}`).expect(404)),
      );
    }
    const text = await scrape();
    expect(text).not.toContain('route-');
    expect(
      sample(text, 'http_request_duration_seconds_count', {
        route: 'unmatched',
        method: 'GET',
        status_code: '404',
      }),
    ).toBe(1000);
    const routes = new Set([...text.matchAll(/route="([^"]*)"/g)].map((match) => match[1]));
    expect([...routes].sort()).toEqual(['unmatched']);
  });
});

describe('store errors in /metrics', () => {
  it('counts the requests that failed because the store threw, by route', async () => {
    const store = new FlakyActionsRepository();
    const t = await createTestApp({ actionsRepository: store });
    try {
      store.down = true;
      await t.http
        .get('/v1/cluster/actions')
        .auth(...t.admin)
        .expect(500);
      store.down = false;
      const text = (
        await t.http
          .get('/metrics')
          .auth(...t.admin)
          .expect(200)
      ).text;
      expect(sample(text, 'cluster_actions_store_errors_total', { route: '/v1/cluster/actions' })).toBe(1);
    } finally {
      await t.close();
    }
  });
});

describe('METRICS=off', () => {
  it('serves no /metrics route', async () => {
    const t = await createTestApp({ env: { METRICS: 'off' } });
    try {
      await t.http
        .get('/metrics')
        .auth(...t.admin)
        .expect(404);
    } finally {
      await t.close();
    }
  });
});
