import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestApp, type TestApp } from '../support/app.js';

type Credentials = readonly [string, string];

interface UserBody {
  readonly uid: number;
  readonly email: string;
  readonly name: string;
  readonly role: string;
  readonly status: string;
  readonly password_issue_date: string;
}

/** The roles a user_manager manages, written out from the rule rather than read from `src/`. */
const BELOW_ADMIN = ['none', 'db_viewer', 'db_member', 'cluster_viewer', 'cluster_member', 'user_manager'];

function requests(t: TestApp) {
  return (auth: Credentials) => ({
    get: (url: string) => t.http.get(url).auth(...auth),
    post: (url: string, body: object) =>
      t.http
        .post(url)
        .auth(...auth)
        .send(body),
    put: (url: string, body: object) =>
      t.http
        .put(url)
        .auth(...auth)
        .send(body),
    delete: (url: string) => t.http.delete(url).auth(...auth),
  });
}

async function usersOf(t: TestApp): Promise<UserBody[]> {
  const response = await t.http.get('/v1/users').auth(...t.admin);
  expect(response.status).toBe(200);
  return response.body as UserBody[];
}

async function userNamed(t: TestApp, email: string): Promise<UserBody> {
  const user = (await usersOf(t)).find((candidate) => candidate.email === email);
  if (!user) throw new Error(`no user ${email}`);
  return user;
}

/** Whether `auth` signs in: 200 on a route every role but `none` may read. */
async function signsIn(t: TestApp, auth: Credentials): Promise<boolean> {
  const status = (await t.http.get('/v1/nodes').auth(...auth)).status;
  expect([200, 401]).toContain(status);
  return status === 200;
}

function expectRefusedAboveRole(response: { status: number; body: unknown }): void {
  expect(response.status).toBe(403);
  expect(response.body).toEqual({
    error_code: 'insufficient_permissions',
    description: expect.stringContaining('no one manages a role above their own') as unknown,
  });
}

describe('no one manages a role above their own', () => {
  let t: TestApp;
  let as: ReturnType<typeof requests>;
  let manager: Credentials;
  let otherAdmin: Credentials;

  beforeEach(async () => {
    t = await createTestApp();
    as = requests(t);
    manager = await t.userWithRole('user_manager');
    otherAdmin = await t.userWithRole('admin');
  });

  afterEach(() => t.close());

  it('a user_manager cannot make itself admin', async () => {
    const self = await userNamed(t, manager[0]);
    expectRefusedAboveRole(await as(manager).put(`/v1/users/${self.uid}`, { role: 'admin' }));
    expect(await userNamed(t, manager[0])).toEqual(self);
    expect((await as(manager).post('/v1/cluster/actions/change_master', { node_uid: '2' })).status).toBe(403);
  });

  it('a user_manager cannot create an admin', async () => {
    const before = await usersOf(t);
    const response = await as(manager).post('/v1/users', {
      email: 'new-admin@test.local',
      password: 'chosen-password',
      role: 'admin',
    });
    expectRefusedAboveRole(response);
    expect(await usersOf(t)).toEqual(before);
    expect(await signsIn(t, ['new-admin@test.local', 'chosen-password'])).toBe(false);
  });

  it.each([
    ['change its password', { password: 'taken-over-password' }],
    ['lock it', { status: 'locked' }],
    ['rename it', { name: 'Mallory' }],
    ['demote it', { role: 'cluster_viewer' }],
  ])('a user_manager cannot %s on an admin', async (_case, change) => {
    const target = await userNamed(t, otherAdmin[0]);
    expectRefusedAboveRole(await as(manager).put(`/v1/users/${target.uid}`, change));
    expect(await userNamed(t, otherAdmin[0])).toEqual(target);
    expect(await signsIn(t, [otherAdmin[0], 'taken-over-password'])).toBe(false);
    expect(await signsIn(t, otherAdmin)).toBe(true);
  });

  it('a user_manager cannot delete an admin', async () => {
    const target = await userNamed(t, otherAdmin[0]);
    expectRefusedAboveRole(await as(manager).delete(`/v1/users/${target.uid}`));
    expect(await userNamed(t, otherAdmin[0])).toEqual(target);
    expect(await signsIn(t, otherAdmin)).toBe(true);
  });

  it.each(BELOW_ADMIN)(
    'a user_manager creates, changes, locks and deletes a %s, but cannot make it admin',
    async (role) => {
      const created = await as(manager).post('/v1/users', {
        email: `managed-${role}@test.local`,
        password: 'first-password',
        role,
      });
      expect(created.status).toBe(200);
      const uid = (created.body as UserBody).uid;
      const url = `/v1/users/${uid}`;
      const changed = await as(manager).put(url, {
        role: role === 'none' ? 'db_viewer' : 'none',
        name: 'Renamed',
        password: 'second-password',
      });
      expect(changed.status).toBe(200);
      expect(changed.body).toMatchObject({ role: role === 'none' ? 'db_viewer' : 'none', name: 'Renamed' });
      expect((await as(manager).put(url, { role })).status).toBe(200);
      expectRefusedAboveRole(await as(manager).put(url, { role: 'admin' }));
      expect((await as(manager).put(url, { status: 'locked' })).body).toMatchObject({
        role,
        status: 'locked',
      });
      expect((await as(manager).delete(url)).status).toBe(200);
      expect((await as(t.admin).get(url)).status).toBe(404);
    },
  );

  it('an admin creates, changes, locks and deletes admins and grants admin', async () => {
    const created = await as(t.admin).post('/v1/users', {
      email: 'third-admin@test.local',
      password: 'first-password',
      role: 'admin',
    });
    expect(created.status).toBe(200);
    const url = `/v1/users/${(created.body as UserBody).uid}`;
    const changed = await as(t.admin).put(url, { name: 'Third', password: 'second-password' });
    expect(changed.body).toMatchObject({ role: 'admin', name: 'Third' });
    expect(await signsIn(t, ['third-admin@test.local', 'second-password'])).toBe(true);
    expect((await as(t.admin).put(url, { status: 'locked' })).body).toMatchObject({ status: 'locked' });
    expect((await as(t.admin).delete(url)).status).toBe(200);

    const promoted = await as(t.admin).put(`/v1/users/${(await userNamed(t, manager[0])).uid}`, {
      role: 'admin',
    });
    expect(promoted.body).toMatchObject({ role: 'admin' });
  });

  it('refuses every request of a parallel burst of escalations by a user_manager', async () => {
    const self = await userNamed(t, manager[0]);
    const target = await userNamed(t, otherAdmin[0]);
    const before = await usersOf(t);
    const burst = Array.from({ length: 30 }, (_, i) => {
      switch (i % 5) {
        case 0:
          return as(manager).put(`/v1/users/${self.uid}`, { role: 'admin' });
        case 1:
          return as(manager).post('/v1/users', {
            email: `burst-${i}@test.local`,
            password: 'chosen-password',
            role: 'admin',
          });
        case 2:
          return as(manager).put(`/v1/users/${target.uid}`, { password: `taken-over-${i}` });
        case 3:
          return as(manager).put(`/v1/users/${target.uid}`, { status: 'locked' });
        default:
          return as(manager).delete(`/v1/users/${target.uid}`);
      }
    });
    const statuses = (await Promise.all(burst)).map((response) => response.status);
    expect(statuses).toEqual(burst.map(() => 403));
    expect(await usersOf(t)).toEqual(before);
    expect(await signsIn(t, otherAdmin)).toBe(true);
  });
});

describe.each([
  ['memory', () => ({})],
  ['SQLite', (folder: string) => ({ DATABASE_URL: `sqlite:${join(folder, 'state.db')}` })],
])('user input on the %s store', (_store, envFor) => {
  let folder: string;
  let t: TestApp;
  let as: ReturnType<typeof requests>;

  beforeEach(async () => {
    folder = mkdtempSync(join(tmpdir(), 'cluster-actions-users-'));
    t = await createTestApp({ env: envFor(folder) });
    as = requests(t);
  });

  afterEach(async () => {
    await t.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it.each(['role', 'password', 'name', 'status'])(
    'refuses {"%s": null} on an update with 400, leaving the user as it was',
    async (field) => {
      const credentials = await t.userWithRole('cluster_viewer');
      const before = await userNamed(t, credentials[0]);
      const response = await as(t.admin).put(`/v1/users/${before.uid}`, { [field]: null });
      expect(response.status).toBe(400);
      expect(response.body).toEqual({
        error_code: 'invalid_request',
        description: expect.stringContaining(`${field} must be`) as unknown,
      });
      expect(await userNamed(t, credentials[0])).toEqual(before);
      expect(await signsIn(t, credentials)).toBe(true);
    },
  );

  it('refuses null in any field of a new user with 400, creating nobody', async () => {
    const valid = { email: 'new@test.local', password: 'long-enough', role: 'db_viewer', name: 'New' };
    const before = await usersOf(t);
    for (const field of Object.keys(valid)) {
      const response = await as(t.admin).post('/v1/users', { ...valid, [field]: null });
      expect({ field, status: response.status, body: response.body as unknown }).toEqual({
        field,
        status: 400,
        body: { error_code: 'invalid_request', description: expect.stringContaining(`${field} must be`) },
      });
    }
    expect(await usersOf(t)).toEqual(before);
  });

  it('refuses an email with a colon, which HTTP Basic could never sign in', async () => {
    const response = await as(t.admin).post('/v1/users', {
      email: '"ops:team"@test.local',
      password: 'long-enough',
      role: 'db_viewer',
    });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error_code: 'invalid_request',
      description: expect.stringContaining("email must not contain ':'") as unknown,
    });
  });

  it.each([
    ['a full-width a', '\uff41dmin@test.local'],
    ['a dotless i', 'adm\u0131n@test.local'],
    ['a composed \u00e1', '\u00e1lvaro@test.local'],
    ['an a with a combining accent', 'a\u0301lvaro@test.local'],
    ['a Cyrillic e in the domain', 'admin@t\u0435st.local'],
  ])('refuses an email with %s, which would read like another user', async (_case, email) => {
    const before = await usersOf(t);
    const response = await as(t.admin).post('/v1/users', { email, password: 'long-enough', role: 'admin' });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error_code: 'invalid_request',
      description: expect.stringContaining('email must contain only ASCII') as unknown,
    });
    expect(await usersOf(t)).toEqual(before);
  });
});
