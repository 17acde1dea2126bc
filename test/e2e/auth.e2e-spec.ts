import { Permission, PERMISSION_ROLES, ROLES, type Role } from '../../src/auth/permissions.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { discoverRoutes } from '../support/routes.js';

/** What the notes say each route needs. A route added without a line here fails the first test. */
const ROUTE_PERMISSIONS: Readonly<Record<string, Permission>> = {
  'GET /v1/cluster/actions': Permission.ViewStatusOfClusterAction,
  'GET /v1/cluster/actions/:action': Permission.ViewStatusOfClusterAction,
  'POST /v1/cluster/actions/:action': Permission.StartClusterAction,
  'DELETE /v1/cluster/actions/:action': Permission.CancelClusterAction,
  'GET /v1/nodes': Permission.ViewAllNodesInfo,
  'GET /v1/nodes/status': Permission.ViewAllNodesInfo,
  'GET /v1/nodes/:uid': Permission.ViewNodeInfo,
  'GET /v1/users': Permission.ViewAllUsersInfo,
  'GET /v1/users/:uid': Permission.ViewUserInfo,
  'POST /v1/users': Permission.CreateNewUser,
  'PUT /v1/users/:uid': Permission.UpdateUser,
  'DELETE /v1/users/:uid': Permission.DeleteUser,
  'GET /metrics': Permission.ViewClusterStats,
};

/** The only routes open without credentials. */
const PUBLIC_ROUTES = ['GET /health', 'GET /ready'];

const UNAUTHORIZED = {
  error_code: 'unauthorized',
  description: 'Valid credentials are required (HTTP Basic, email and password).',
};

describe('authentication and the role matrix', () => {
  let t: TestApp;
  const credentials = new Map<Role, readonly [string, string]>();
  /** The user the users routes act on, so that the matrix never deletes a user it logs in with. */
  let victimUid: number;
  let created = 0;

  beforeAll(async () => {
    t = await createTestApp();
    for (const role of ROLES) credentials.set(role, await t.userWithRole(role));
    const victim = await t.userWithRole('db_viewer');
    const users = await t.http
      .get('/v1/users')
      .auth(...t.admin)
      .expect(200);
    victimUid = (users.body as { uid: number; email: string }[]).find(
      (user) => user.email === victim[0],
    )!.uid;
  });

  afterAll(() => t.close());

  it('every route declares a permission or is explicitly public (deny by default)', () => {
    const routes = discoverRoutes(t.app);
    const undeclared = routes
      .filter((route) => !route.permission && !route.isPublic)
      .map((route) => route.route);
    expect(undeclared).toEqual([]);
    const guarded = routes.filter((route) => !route.isPublic);
    expect(Object.fromEntries(guarded.map((route) => [route.route, route.permission]))).toEqual(
      ROUTE_PERMISSIONS,
    );
    expect(routes.filter((route) => route.isPublic).map((route) => route.route)).toEqual(PUBLIC_ROUTES);
  });

  const BODIES: Readonly<Record<string, () => object>> = {
    'POST /v1/cluster/actions/:action': () => ({ node_uid: '1' }),
    'POST /v1/users': () => ({ email: `new-${++created}@test.local`, password: 'long-enough', role: 'none' }),
    'PUT /v1/users/:uid': () => ({ name: 'Renamed' }),
  };

  function send(route: string, auth?: readonly [string, string]) {
    const [method, template] = route.split(' ') as [string, string];
    const uid = template.startsWith('/v1/users') ? String(victimUid) : '1';
    const url = template.replace(':action', 'change_master').replace(':uid', uid);
    const request = t.http[method.toLowerCase() as 'get' | 'post' | 'put' | 'delete'](url);
    if (auth) request.auth(...auth);
    const body = BODIES[route];
    return body ? request.send(body()) : request;
  }

  const matrix = Object.entries(ROUTE_PERMISSIONS).flatMap(([route, permission]) =>
    ROLES.map((role) => [route, role, PERMISSION_ROLES[permission].includes(role)] as const),
  );

  it.each(matrix)('%s as %s: allowed=%s', async (route, role, allowed) => {
    const response = await send(route, credentials.get(role));
    if (allowed) {
      expect([401, 403]).not.toContain(response.status);
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
      const response = await send(route);
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
