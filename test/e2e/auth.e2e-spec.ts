import type { Response } from 'supertest';
import type { Role } from '../../src/auth/permissions.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { pollAction } from '../support/poll.js';
import { discoverRoutes } from '../support/routes.js';
import { headOfStreamOrJson } from '../support/sse.js';
import { TEST_ACTION, TEST_TIMEOUT_ACTION, TestActionModule, TestGate } from '../support/test-action.js';

/** The roles, as the notes list them. */
const ROLES: readonly Role[] = [
  'none',
  'db_viewer',
  'db_member',
  'cluster_viewer',
  'cluster_member',
  'user_manager',
  'admin',
];

const VIEWERS: readonly Role[] = [
  'admin',
  'cluster_member',
  'cluster_viewer',
  'db_member',
  'db_viewer',
  'user_manager',
];

/** The notes' table ("Authentication and roles"), written out: the roles that hold each permission. */
const PERMISSION_HOLDERS: Readonly<Record<string, readonly Role[]>> = {
  view_status_of_cluster_action: VIEWERS,
  start_cluster_action: ['admin'],
  cancel_cluster_action: ['admin'],
  view_all_nodes_info: VIEWERS,
  view_node_info: VIEWERS,
  view_all_users_info: ['admin', 'user_manager'],
  view_user_info: ['admin', 'user_manager'],
  create_new_user: ['admin', 'user_manager'],
  update_user: ['admin', 'user_manager'],
  delete_user: ['admin', 'user_manager'],
  view_cluster_stats: ['admin', 'cluster_member', 'cluster_viewer', 'user_manager'],
};

/** What the README's API table says each route needs. A route added without a line here fails the first test. */
const ROUTE_PERMISSIONS: Readonly<Record<string, string>> = {
  'GET /v1/cluster/actions': 'view_status_of_cluster_action',
  'GET /v1/cluster/actions/:action': 'view_status_of_cluster_action',
  'GET /v1/cluster/actions/:action/events': 'view_status_of_cluster_action',
  'GET /v1/cluster/actions/events': 'view_status_of_cluster_action',
  'POST /v1/cluster/actions/:action': 'start_cluster_action',
  'DELETE /v1/cluster/actions/:action': 'cancel_cluster_action',
  'GET /v1/cluster/actions/:action/history': 'view_status_of_cluster_action',
  'GET /v1/actions': 'view_status_of_cluster_action',
  'GET /v1/actions/:action_uid': 'view_status_of_cluster_action',
  'GET /v2/actions': 'view_status_of_cluster_action',
  'GET /v2/actions/:action_uid': 'view_status_of_cluster_action',
  'GET /v1/nodes': 'view_all_nodes_info',
  'GET /v1/nodes/status': 'view_all_nodes_info',
  'GET /v1/nodes/:uid': 'view_node_info',
  'GET /v1/users': 'view_all_users_info',
  'GET /v1/users/:uid': 'view_user_info',
  'POST /v1/users': 'create_new_user',
  'PUT /v1/users/:uid': 'update_user',
  'DELETE /v1/users/:uid': 'delete_user',
  'GET /metrics': 'view_cluster_stats',
};

/** The only routes open without credentials. */
const PUBLIC_ROUTES = ['GET /health', 'GET /ready'];

/** Routes for any valid credentials, whatever the role: they answer only about the signed-in user. */
const SIGNED_IN_ROUTES = ['GET /v1/users/me'];

/**
 * Pages served outside Nest's router, so that no guard sees them, public by design: they carry no data, and the
 * browser calls the API with the user's credentials (Swagger UI, and the web console under /ui).
 */
const PUBLIC_PAGES = ['/docs', '/docs-json', '/ui/'];

const UNAUTHORIZED = {
  error_code: 'unauthorized',
  description: 'Valid credentials are required (HTTP Basic, email and password).',
};

describe('authentication and the role matrix', () => {
  let t: TestApp;
  const credentials = new Map<Role, readonly [string, string]>();
  /** The user the users routes read and change: role `none`, so that only the permission decides. */
  let victimUid: number;
  let created = 0;

  const uidOf = async (email: string): Promise<number> => {
    const users = await t.http
      .get('/v1/users')
      .auth(...t.admin)
      .expect(200);
    return (users.body as { uid: number; email: string }[]).find((user) => user.email === email)!.uid;
  };

  beforeAll(async () => {
    t = await createTestApp({ imports: [TestActionModule] });
    for (const role of ROLES) credentials.set(role, await t.userWithRole(role));
    victimUid = await uidOf((await t.userWithRole('none'))[0]);
    // The action routes' targets: a run kept running to read, and a finished one (timed out) to remove.
    await t.http
      .post(`/v1/cluster/actions/${TEST_ACTION}`)
      .auth(...t.admin)
      .expect(200);
    await t.app.get(TestGate).next();
    await t.http
      .post(`/v1/cluster/actions/${TEST_TIMEOUT_ACTION}`)
      .auth(...t.admin)
      .expect(200);
    await pollAction(t.http, t.admin, TEST_TIMEOUT_ACTION);
  });

  afterAll(() => t.close());

  it('every route declares a permission or is explicitly public or signed-in (deny by default)', () => {
    const routes = discoverRoutes(t.app);
    const undeclared = routes
      .filter((route) => !route.permission && !route.isPublic && !route.signedIn)
      .map((route) => route.route);
    expect(undeclared).toEqual([]);
    const guarded = routes.filter((route) => route.permission);
    expect(Object.fromEntries(guarded.map((route) => [route.route, route.permission]))).toEqual(
      ROUTE_PERMISSIONS,
    );
    expect(routes.filter((route) => route.isPublic).map((route) => route.route)).toEqual(PUBLIC_ROUTES);
    expect(routes.filter((route) => route.signedIn).map((route) => route.route)).toEqual(SIGNED_IN_ROUTES);
  });

  it.each(PUBLIC_PAGES)('the page %s, outside the router, is public by design', async (path) => {
    await t.http.get(path).expect(200);
  });

  it.each(ROLES)('GET /v1/users/me as %s answers that user and the permissions of its role', async (role) => {
    const [email] = credentials.get(role)!;
    const response = await t.http
      .get('/v1/users/me')
      .auth(...credentials.get(role)!)
      .expect(200);
    expect(response.body).toMatchObject({ email, role });
    expect([...(response.body as { permissions: string[] }).permissions].sort()).toEqual(
      Object.keys(PERMISSION_HOLDERS)
        .filter((permission) => PERMISSION_HOLDERS[permission].includes(role))
        .sort(),
    );
  });

  it('GET /v1/users/me without credentials is 401', async () => {
    const response = await t.http.get('/v1/users/me').expect(401);
    expect(response.body).toEqual(UNAUTHORIZED);
  });

  interface RouteCall {
    readonly url: string;
    readonly body?: object;
    /** What an allowed call answers, beyond its status 200. */
    readonly answer: object;
    /** For a route that answers text, what the text holds. */
    readonly text?: RegExp;
  }

  /** A call of each route that succeeds when allowed; each call that can change something gets its own target. */
  const CALLS: Readonly<Record<string, () => RouteCall | Promise<RouteCall>>> = {
    'GET /v1/cluster/actions': () => ({
      url: '/v1/cluster/actions',
      answer: { actions: expect.arrayContaining([expect.objectContaining({ name: TEST_ACTION })]) },
    }),
    'GET /v1/cluster/actions/:action': () => ({
      url: `/v1/cluster/actions/${TEST_ACTION}`,
      answer: { name: TEST_ACTION, status: 'running' },
    }),
    'GET /v1/cluster/actions/:action/events': () => ({
      url: `/v1/cluster/actions/${TEST_ACTION}/events`,
      answer: {},
    }),
    'GET /v1/cluster/actions/events': () => ({ url: '/v1/cluster/actions/events', answer: {} }),
    // Node 1 is the master already: the run completes at once as a no-op.
    'POST /v1/cluster/actions/:action': () => ({
      url: '/v1/cluster/actions/change_master',
      body: { node_uid: '1' },
      answer: { name: 'change_master', status: 'queued', node_uid: '1' },
    }),
    'DELETE /v1/cluster/actions/:action': () => ({
      url: `/v1/cluster/actions/${TEST_TIMEOUT_ACTION}`,
      answer: { name: TEST_TIMEOUT_ACTION, status: 'failed', error_code: 'timeout' },
    }),
    'GET /v1/cluster/actions/:action/history': () => ({
      url: `/v1/cluster/actions/${TEST_ACTION}/history`,
      answer: { actions: [expect.objectContaining({ name: TEST_ACTION })], next_cursor: null },
    }),
    ...Object.fromEntries(
      ['v1', 'v2'].flatMap((version) => [
        [
          `GET /${version}/actions`,
          () => ({
            url: `/${version}/actions`,
            answer: { actions: expect.arrayContaining([expect.objectContaining({ name: TEST_ACTION })]) },
          }),
        ],
        [
          `GET /${version}/actions/:action_uid`,
          async () => {
            const { body } = await t.http.get(`/v1/cluster/actions/${TEST_ACTION}`).auth(...t.admin);
            const uid = (body as { action_uid: string }).action_uid;
            return { url: `/${version}/actions/${uid}`, answer: { action_uid: uid, status: 'running' } };
          },
        ],
      ]),
    ),
    'GET /v1/nodes': () => ({
      url: '/v1/nodes',
      answer: expect.arrayContaining([expect.objectContaining({ uid: 1 })]),
    }),
    'GET /v1/nodes/status': () => ({
      url: '/v1/nodes/status',
      answer: { '1': { role: 'master', node_status: 'active' } },
    }),
    'GET /v1/nodes/:uid': () => ({ url: '/v1/nodes/1', answer: { uid: 1, status: 'active' } }),
    'GET /v1/users': () => ({
      url: '/v1/users',
      answer: expect.arrayContaining([expect.objectContaining({ uid: victimUid })]),
    }),
    'GET /v1/users/:uid': () => ({ url: `/v1/users/${victimUid}`, answer: { uid: victimUid } }),
    'POST /v1/users': () => {
      const email = `new-${++created}@test.local`;
      return {
        url: '/v1/users',
        body: { email, password: 'long-enough', role: 'none' },
        answer: { email, role: 'none' },
      };
    },
    'GET /metrics': () => ({ url: '/metrics', answer: {}, text: /^# HELP cluster_actions_/m }),
    'PUT /v1/users/:uid': () => ({
      url: `/v1/users/${victimUid}`,
      body: { name: 'Renamed' },
      answer: { uid: victimUid, name: 'Renamed' },
    }),
    'DELETE /v1/users/:uid': async () => {
      const uid = await uidOf((await t.userWithRole('none'))[0]);
      return { url: `/v1/users/${uid}`, answer: { uid } };
    },
  };

  /** Sends `route`'s call; returns the response and what the call answers when allowed. */
  async function send(
    route: string,
    auth?: readonly [string, string],
  ): Promise<{ response: Response; answer: object; text?: RegExp }> {
    const method = route.split(' ')[0].toLowerCase() as 'get' | 'post' | 'put' | 'delete';
    const call = await CALLS[route]();
    const request = t.http[method](call.url);
    if (auth) request.auth(...auth);
    if (call.url.endsWith('/events')) request.buffer(true).parse(headOfStreamOrJson);
    return {
      response: await (call.body ? request.send(call.body) : request),
      answer: call.answer,
      text: call.text,
    };
  }

  const matrix = Object.entries(ROUTE_PERMISSIONS).flatMap(([route, permission]) =>
    ROLES.map((role) => [route, role, PERMISSION_HOLDERS[permission].includes(role)] as const),
  );

  it.each(matrix)('%s as %s: allowed=%s', async (route, role, allowed) => {
    const { response, answer, text } = await send(route, credentials.get(role));
    if (allowed) {
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject(answer);
      if (text) expect(response.text).toMatch(text);
    } else {
      expect(response.status).toBe(403);
      expect(response.body).toEqual({
        error_code: 'insufficient_permissions',
        description: `Your role does not have the '${ROUTE_PERMISSIONS[route]}' permission.`,
      });
    }
  });

  it.each(Object.keys(ROUTE_PERMISSIONS))(
    '%s without credentials is 401 with a Basic challenge',
    async (route) => {
      const { response } = await send(route);
      expect(response.status).toBe(401);
      expect(response.body).toEqual(UNAUTHORIZED);
      expect(response.headers['www-authenticate']).toMatch(/^Basic realm="/);
    },
  );

  it.each([
    ['a wrong password', `Basic ${Buffer.from('admin@test.local:wrong').toString('base64')}`],
    ['an unknown user', `Basic ${Buffer.from('nobody@test.local:admin-password').toString('base64')}`],
    ['no colon', `Basic ${Buffer.from('admin@test.local').toString('base64')}`],
    ['an empty user', `Basic ${Buffer.from(':admin-password').toString('base64')}`],
    ['another scheme', 'Bearer abc.def.ghi'],
    ['garbage base64', 'Basic !!!not-base64!!!'],
    ['an empty header', ''],
    ['a huge header', `Basic ${'A'.repeat(6000)}`],
  ])('%s is 401 and looks exactly like any other failure', async (_case, header) => {
    const response = await t.http.get('/v1/cluster/actions').set('Authorization', header);
    expect(response.status).toBe(401);
    expect(response.body).toEqual(UNAUTHORIZED);
    expect(response.headers['www-authenticate']).toMatch(/^Basic realm="/);
  });

  it('accepts the email in any case', async () => {
    await t.http.get('/v1/cluster/actions').auth('ADMIN@Test.Local', 'admin-password').expect(200);
  });

  it('refuses a locked user even with the right password', async () => {
    const locked = await t.userWithRole('admin', { status: 'locked' });
    const response = await t.http.get('/v1/cluster/actions').auth(...locked);
    expect(response.status).toBe(401);
    expect(response.body).toEqual(UNAUTHORIZED);
  });

  it('never echoes a password in any response', async () => {
    const response = await t.http.get('/v1/cluster/actions').auth('admin@test.local', 'secret-guess-123');
    expect(JSON.stringify(response.body)).not.toContain('secret-guess-123');
  });
});
