import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestApp, type TestApp } from '../support/app.js';

interface UserBody {
  readonly uid: number;
  readonly email: string;
  readonly name: string;
  readonly role: string;
  readonly status: string;
  readonly password_issue_date: string;
}

/** Everything the service answered in a test, to prove no password or hash ever leaves it. */
const answered: string[] = [];

describe('users API', () => {
  let t: TestApp;

  beforeEach(async () => {
    t = await createTestApp({ env: { LOGIN_FAILURE_LIMIT: '3', LOGIN_THROTTLE_SECONDS: '2' } });
  });

  afterEach(async () => {
    await t.close();
    expect(answered.join('\n')).not.toMatch(/scrypt\$|secret-password|other-password|long-enough/);
    answered.length = 0;
  });

  const as = (auth: readonly [string, string]) => ({
    get: (url: string) =>
      t.http
        .get(url)
        .auth(...auth)
        .then(record),
    post: (url: string, body: object) =>
      t.http
        .post(url)
        .auth(...auth)
        .send(body)
        .then(record),
    put: (url: string, body: object) =>
      t.http
        .put(url)
        .auth(...auth)
        .send(body)
        .then(record),
    delete: (url: string) =>
      t.http
        .delete(url)
        .auth(...auth)
        .then(record),
  });
  const record = <R extends { text: string }>(response: R): R => {
    answered.push(response.text);
    return response;
  };

  async function createUser(role: string, email = `${role}@test.local`): Promise<UserBody> {
    const response = await as(t.admin).post('/v1/users', {
      email,
      password: 'secret-password',
      role,
      name: role,
    });
    expect(response.status).toBe(200);
    return response.body as UserBody;
  }

  it('creates a cluster_viewer who can list actions but not start or cancel them', async () => {
    const viewer = await createUser('cluster_viewer', 'viewer@test.local');
    expect(viewer).toEqual({
      uid: expect.any(Number),
      email: 'viewer@test.local',
      name: 'cluster_viewer',
      role: 'cluster_viewer',
      status: 'active',
      password_issue_date: expect.any(String),
    });
    const asViewer = as(['viewer@test.local', 'secret-password']);
    expect((await asViewer.get('/v1/cluster/actions')).status).toBe(200);
    const start = await asViewer.post('/v1/cluster/actions/change_master', { node_uid: '2' });
    expect(start.status).toBe(403);
    expect(start.body.error_code).toBe('insufficient_permissions');
    expect((await asViewer.delete('/v1/cluster/actions/change_master')).status).toBe(403);
  });

  it('lists, gets, updates and deletes users', async () => {
    const user = await createUser('db_viewer');
    const list = await as(t.admin).get('/v1/users');
    expect(list.status).toBe(200);
    expect((list.body as UserBody[]).map((u) => u.email)).toEqual([
      'admin@test.local',
      'db_viewer@test.local',
    ]);
    expect((await as(t.admin).get(`/v1/users/${user.uid}`)).body).toEqual(user);

    const updated = await as(t.admin).put(`/v1/users/${user.uid}`, { name: 'Dee', role: 'db_member' });
    expect(updated.status).toBe(200);
    expect(updated.body).toEqual({ ...user, name: 'Dee', role: 'db_member' });

    const deleted = await as(t.admin).delete(`/v1/users/${user.uid}`);
    expect(deleted.status).toBe(200);
    expect((await as(t.admin).get(`/v1/users/${user.uid}`)).status).toBe(404);
    expect((await as(t.admin).delete(`/v1/users/${user.uid}`)).body.error_code).toBe('user_not_found');
  });

  it('lets a user_manager manage users', async () => {
    await createUser('user_manager');
    const manager = as(['user_manager@test.local', 'secret-password']);
    const created = await manager.post('/v1/users', {
      email: 'x@test.local',
      password: 'long-enough',
      role: 'none',
    });
    expect(created.status).toBe(200);
    expect((await manager.delete(`/v1/users/${(created.body as UserBody).uid}`)).status).toBe(200);
  });

  it.each([
    [
      'an invalid email',
      { email: 'not-an-email', password: 'long-enough', role: 'admin' },
      'email must be an email address',
    ],
    [
      'a short password',
      { email: 'a@test.local', password: 'short', role: 'admin' },
      'password must be at least 8 characters long',
    ],
    [
      'a password with a NUL',
      { email: 'a@test.local', password: 'long-enough\u0000', role: 'admin' },
      'control characters',
    ],
    [
      'an unknown role',
      { email: 'a@test.local', password: 'long-enough', role: 'root' },
      'role must be one of none, db_viewer',
    ],
    ['a missing role', { email: 'a@test.local', password: 'long-enough' }, 'role must be one of'],
    [
      'an unknown field',
      { email: 'a@test.local', password: 'long-enough', role: 'admin', uid: 7 },
      'property uid should not exist',
    ],
    [
      'a status on create',
      { email: 'a@test.local', password: 'long-enough', role: 'admin', status: 'active' },
      'property status should not exist',
    ],
  ])('refuses a user with %s: 400 naming the problem', async (_case, body, message) => {
    const response = await as(t.admin).post('/v1/users', body);
    expect(response.status).toBe(400);
    expect(response.body.error_code).toBe('invalid_request');
    expect(response.body.description).toContain(message);
  });

  it('refuses a duplicate email, whatever its case, with 409', async () => {
    await createUser('db_viewer', 'dup@test.local');
    const response = await as(t.admin).post('/v1/users', {
      email: 'DUP@test.local',
      password: 'long-enough',
      role: 'none',
    });
    expect(response.status).toBe(409);
    expect(response.body.error_code).toBe('email_taken');
  });

  it.each([
    ['an empty update', {}, 'at least one of'],
    ['an unknown status', { status: 'banned' }, 'status must be one of active, locked'],
    ['an email change', { email: 'new@test.local' }, 'property email should not exist'],
  ])('refuses %s with 400', async (_case, body, message) => {
    const user = await createUser('db_viewer');
    const response = await as(t.admin).put(`/v1/users/${user.uid}`, body);
    expect(response.status).toBe(400);
    expect(response.body.description).toContain(message);
  });

  it.each(['0', 'abc', '99999'])('is 404 user_not_found for uid %s', async (uid) => {
    const response = await as(t.admin).get(`/v1/users/${uid}`);
    expect(response.status).toBe(404);
    expect(response.body.error_code).toBe('user_not_found');
  });

  describe('the last active admin', () => {
    it.each([
      ['deleted', (uid: number) => as(t.admin).delete(`/v1/users/${uid}`)],
      ['demoted', (uid: number) => as(t.admin).put(`/v1/users/${uid}`, { role: 'cluster_member' })],
      ['locked', (uid: number) => as(t.admin).put(`/v1/users/${uid}`, { status: 'locked' })],
    ])('cannot be %s (409)', async (_case, write) => {
      const response = await write(1);
      expect(response.status).toBe(409);
      expect(response.body.error_code).toBe('last_admin');
      expect((await as(t.admin).get('/v1/users/1')).body).toMatchObject({ role: 'admin', status: 'active' });
    });

    it('can step down once another active admin exists', async () => {
      await createUser('admin', 'second-admin@test.local');
      expect((await as(t.admin).put('/v1/users/1', { role: 'user_manager' })).status).toBe(200);
    });
  });

  describe('changes apply on the very next request', () => {
    it('a new password: the old one is refused at once', async () => {
      const user = await createUser('cluster_member');
      const old = as(['cluster_member@test.local', 'secret-password']);
      expect((await old.get('/v1/cluster/actions')).status).toBe(200); // now cached
      expect((await as(t.admin).put(`/v1/users/${user.uid}`, { password: 'other-password' })).status).toBe(
        200,
      );
      expect((await old.get('/v1/cluster/actions')).status).toBe(401);
      expect(
        (await as(['cluster_member@test.local', 'other-password']).get('/v1/cluster/actions')).status,
      ).toBe(200);
    });

    it('a demotion: the next start is 403', async () => {
      const user = await createUser('admin', 'boss@test.local');
      const boss = as(['boss@test.local', 'secret-password']);
      expect((await boss.get('/v1/users')).status).toBe(200);
      await as(t.admin).put(`/v1/users/${user.uid}`, { role: 'db_viewer' });
      expect((await boss.get('/v1/users')).status).toBe(403);
    });

    it('a lock: the next request is 401, and an unlock restores access', async () => {
      const user = await createUser('cluster_viewer');
      const viewer = as(['cluster_viewer@test.local', 'secret-password']);
      expect((await viewer.get('/v1/nodes')).status).toBe(200);
      await as(t.admin).put(`/v1/users/${user.uid}`, { status: 'locked' });
      expect((await viewer.get('/v1/nodes')).status).toBe(401);
      await as(t.admin).put(`/v1/users/${user.uid}`, { status: 'active' });
      expect((await viewer.get('/v1/nodes')).status).toBe(200);
    });

    it('a deletion: the next request is 401', async () => {
      const user = await createUser('cluster_viewer');
      const viewer = as(['cluster_viewer@test.local', 'secret-password']);
      expect((await viewer.get('/v1/nodes')).status).toBe(200);
      await as(t.admin).delete(`/v1/users/${user.uid}`);
      expect((await viewer.get('/v1/nodes')).status).toBe(401);
    });
  });

  describe('brute-force throttling (3 failures in 2 s in this test)', () => {
    /** A request from a given loopback address, so that the service sees several clients. */
    function fromAddress(
      localAddress: string,
      user: string,
      password: string,
    ): Promise<{ status: number; headers: Record<string, unknown>; body: Record<string, unknown> }> {
      const { port } = t.app.getHttpServer().address() as AddressInfo;
      return new Promise((resolve, reject) => {
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port,
            localAddress,
            path: '/v1/cluster/actions',
            auth: `${user}:${password}`,
          },
          (res) => {
            let text = '';
            res.on('data', (chunk: Buffer) => (text += chunk.toString()));
            res.on('end', () => {
              answered.push(text);
              resolve({
                status: res.statusCode!,
                headers: res.headers,
                body: JSON.parse(text) as Record<string, unknown>,
              });
            });
          },
        );
        req.on('error', reject);
        req.end();
      });
    }

    it('answers 429 with Retry-After to the guesser only, and recovers after the window', async () => {
      for (let attempt = 0; attempt < 3; attempt++) {
        expect((await fromAddress('127.0.0.2', 'admin@test.local', `guess-${attempt}`)).status).toBe(401);
      }
      const throttled = await fromAddress('127.0.0.2', 'admin@test.local', 'guess-3');
      expect(throttled.status).toBe(429);
      expect(throttled.body).toEqual({
        error_code: 'too_many_login_failures',
        description: expect.stringContaining('Too many failed logins'),
      });
      expect(Number(throttled.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      // Even the right password is refused from the guessing client until the window ends...
      expect((await fromAddress('127.0.0.2', 'admin@test.local', 'admin-password')).status).toBe(429);
      // ...while the same user's correct login from elsewhere works.
      expect((await fromAddress('127.0.0.3', 'admin@test.local', 'admin-password')).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 2100));
      expect((await fromAddress('127.0.0.2', 'admin@test.local', 'admin-password')).status).toBe(200);
    });

    it('throttles an address that guesses across many users, without touching other clients', async () => {
      // Twelve sequential KDF runs can outlast a 2 s window on a loaded machine: this one needs no recovery.
      await t.close();
      t = await createTestApp({ env: { LOGIN_FAILURE_LIMIT: '3' } });
      for (let attempt = 0; attempt < 12; attempt++) {
        expect((await fromAddress('127.0.0.4', `nobody-${attempt}@test.local`, 'guess')).status).toBe(401);
      }
      expect((await fromAddress('127.0.0.4', 'someone-else@test.local', 'guess')).status).toBe(429);
      expect((await fromAddress('127.0.0.5', 'admin@test.local', 'admin-password')).status).toBe(200);
    });

    it('counts unknown users exactly like known ones', async () => {
      for (let attempt = 0; attempt < 3; attempt++) {
        expect((await fromAddress('127.0.0.6', 'ghost@test.local', 'x')).status).toBe(401);
      }
      expect((await fromAddress('127.0.0.6', 'ghost@test.local', 'x')).status).toBe(429);
    });
  });
});
