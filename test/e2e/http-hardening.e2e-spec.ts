import { connect, type AddressInfo, type Socket } from 'node:net';
import { createTestApp, type TestApp } from '../support/app.js';
import { httpBytes, rawRequest, type RawResponse } from '../support/raw-http.js';

const ACTION = '/v1/cluster/actions/change_master';
const CONSOLE = 'http://console.example';
const EVIL = 'http://evil.example';

const portOf = (t: TestApp): number => (t.app.getHttpServer().address() as AddressInfo).port;
const basic = (email: string, password: string): readonly [string, string] => [
  'Authorization',
  `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}`,
];

/** `{"node_uid": [[[…]]]}` or `{"a": {"a": …}}`, `levels` containers deep. */
const nestedArrays = (levels: number): string => `{"node_uid":${'['.repeat(levels)}${']'.repeat(levels)}}`;
const nestedObjects = (levels: number): string => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

function expectStandardBody(response: { text: string; headers: Record<string, string> }, code: string): void {
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  const body = JSON.parse(response.text) as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual(['description', 'error_code']);
  expect(body.error_code).toBe(code);
}

/** A raw request and how long its answer (and the closing of the connection) took. */
async function timed(port: number, bytes: string | Buffer): Promise<[RawResponse, number]> {
  const started = Date.now();
  const response = await rawRequest(port, bytes);
  return [response, Date.now() - started];
}

describe('HTTP hardening', () => {
  let t: TestApp;
  let port: number;
  let admin: readonly [string, string];

  beforeAll(async () => {
    t = await createTestApp({ env: { CHANGE_MASTER_STEP_MS: '0', ALLOWED_ORIGINS: CONSOLE } });
    port = portOf(t);
    admin = basic(...t.admin);
  });

  afterAll(() => t.close());

  const userEmails = async (): Promise<string[]> =>
    ((await t.http.get('/v1/users').auth(...t.admin)).body as { email: string }[]).map((u) => u.email).sort();

  describe('deeply nested JSON (defect 7)', () => {
    it.each([
      ['POST an action, 5000 nested arrays', 'post', ACTION, nestedArrays(5000)],
      ['POST an action, 5000 nested objects', 'post', ACTION, nestedObjects(5000)],
      ['POST a user, 5000 nested objects', 'post', '/v1/users', nestedObjects(5000)],
      ['POST a user, 33 nested objects', 'post', '/v1/users', nestedObjects(33)],
      [
        'PUT a user, 5000 nested arrays',
        'put',
        '/v1/users/1',
        `{"name":${'['.repeat(5000)}${']'.repeat(5000)}}`,
      ],
    ] as const)('%s is 400 invalid_request', async (_label, method, url, body) => {
      const response = await t.http[method](url)
        .auth(...t.admin)
        .set('Content-Type', 'application/json')
        .send(body);
      expect(response.status).toBe(400);
      expect(response.body).toEqual({
        error_code: 'invalid_request',
        description: 'The request body nests deeper than 32 levels.',
      });
    });

    it('accepts 32 levels as far as nesting goes (the field is what is wrong)', async () => {
      const response = await t.http
        .post(ACTION)
        .auth(...t.admin)
        .set('Content-Type', 'application/json')
        .send(nestedArrays(31))
        .expect(400);
      expect(response.body.description).not.toMatch(/nests deeper/);
    });
  });

  describe('cross-site requests (defect 10)', () => {
    const newUser = (email: string) => ({ email, password: 'long-enough', role: 'admin' });

    it('a text/plain POST from another site cannot create an admin', async () => {
      const before = await userEmails();
      const response = await t.http
        .post('/v1/users')
        .auth(...t.admin)
        .set('Origin', EVIL)
        .set('Sec-Fetch-Site', 'cross-site')
        .set('Content-Type', 'text/plain')
        .send(JSON.stringify(newUser('forged@test.local')));
      expect(response.status).toBe(403);
      expect(response.body.error_code).toBe('cross_site_request');
      expect(await userEmails()).toEqual(before);
    });

    it.each([
      ['an evil Origin', [['Origin', EVIL]]],
      ['Sec-Fetch-Site cross-site', [['Sec-Fetch-Site', 'cross-site']]],
      ['Sec-Fetch-Site same-site (a sibling host)', [['Sec-Fetch-Site', 'same-site']]],
      ['Origin null (a sandboxed page)', [['Origin', 'null']]],
      ['an Origin on another port', [['Origin', 'http://127.0.0.1:1']]],
    ] as const)('with %s, POST, PUT and DELETE are 403 and change nothing', async (_label, headers) => {
      const victim = (
        await t.http
          .post('/v1/users')
          .auth(...t.admin)
          .send({ email: `victim-${Date.now()}@test.local`, password: 'long-enough', role: 'cluster_viewer' })
          .expect(200)
      ).body as { uid: number; email: string; role: string };
      const before = await userEmails();
      const send = (request: ReturnType<typeof t.http.post>) => {
        for (const [name, value] of headers) request.set(name, value);
        return request.auth(...t.admin);
      };
      const answers = await Promise.all([
        send(t.http.post(ACTION)).send({ node_uid: '2' }),
        send(t.http.post('/v1/users')).send(newUser('forged@test.local')),
        send(t.http.put(`/v1/users/${victim.uid}`)).send({ role: 'admin' }),
        send(t.http.delete(`/v1/users/${victim.uid}`)),
        send(t.http.delete(ACTION)),
      ]);
      for (const response of answers) {
        expect(response.status).toBe(403);
        expect(response.body.error_code).toBe('cross_site_request');
      }
      expect(await userEmails()).toEqual(before);
      const stored = await t.http
        .get(`/v1/users/${victim.uid}`)
        .auth(...t.admin)
        .expect(200);
      expect(stored.body.role).toBe('cluster_viewer');
      await t.http
        .get(ACTION)
        .auth(...t.admin)
        .expect(404);
    });

    it('is refused before the credentials are checked', async () => {
      const response = await t.http.post('/v1/users').set('Origin', EVIL).send(newUser('x@test.local'));
      expect(response.status).toBe(403);
      expect(response.body.error_code).toBe('cross_site_request');
    });

    it('serves an origin listed in ALLOWED_ORIGINS', async () => {
      await t.http
        .post('/v1/users')
        .auth(...t.admin)
        .set('Origin', CONSOLE)
        .set('Sec-Fetch-Site', 'cross-site')
        .send(newUser('from-console@test.local'))
        .expect(200);
    });

    it('serves a same-origin page (the planned web console)', async () => {
      await t.http
        .post('/v1/users')
        .auth(...t.admin)
        .set('Origin', `http://127.0.0.1:${port}`)
        .set('Sec-Fetch-Site', 'same-origin')
        .send(newUser('same-origin@test.local'))
        .expect(200);
      // Browsers send no Sec-Fetch-Site over plain HTTP to a host that is not localhost: Origin alone.
      await t.http
        .post('/v1/users')
        .auth(...t.admin)
        .set('Origin', `http://127.0.0.1:${port}`)
        .send(newUser('same-origin-2@test.local'))
        .expect(200);
    });

    it('serves GET from another site', async () => {
      await t.http
        .get('/v1/users')
        .auth(...t.admin)
        .set('Origin', EVIL)
        .set('Sec-Fetch-Site', 'cross-site')
        .expect(200);
    });
  });

  describe('protocol errors in the standard body (defect 11)', () => {
    it('an HTTP/1.1 request without Host is 400 invalid_request', async () => {
      const response = await rawRequest(port, 'GET /health HTTP/1.1\r\nConnection: close\r\n\r\n');
      expect(response.status).toBe(400);
      expectStandardBody(response, 'invalid_request');
    });

    it('Expect: 200-ok is 417 expectation_failed', async () => {
      const response = await rawRequest(port, httpBytes('GET', '/health', [['Expect', '200-ok']]));
      expect(response.status).toBe(417);
      expectStandardBody(response, 'expectation_failed');
    });
  });

  describe('bodies that are not read (defect 12)', () => {
    const declaredFiveMegabytes = (headers: readonly (readonly [string, string])[]): string =>
      [`POST ${ACTION} HTTP/1.1`, 'Host: 127.0.0.1', ...headers.map(([n, v]) => `${n}: ${v}`)]
        .concat(['Content-Type: application/json', 'Content-Length: 5000000', '', '{"node_uid":'])
        .join('\r\n');

    it('a declared Content-Length over 1 MB is 413 at once, and the connection closed', async () => {
      const [response, ms] = await timed(port, declaredFiveMegabytes([admin]));
      expect(response.status).toBe(413);
      expect(response.headers.connection).toBe('close');
      expectStandardBody(response, 'payload_too_large');
      expect(ms).toBeLessThan(1000);
    });

    it('without credentials, a declared 5 MB body is 401 at once, unread', async () => {
      const [response, ms] = await timed(port, declaredFiveMegabytes([]));
      expect(response.status).toBe(401);
      expectStandardBody(response, 'unauthorized');
      expect(ms).toBeLessThan(1000);
    });

    it('without credentials, Expect: 100-continue is answered 401, not invited to send the body', async () => {
      const head = httpBytes('POST', ACTION, [
        ['Expect', '100-continue'],
        ['Content-Length', '16'],
      ]);
      const response = await rawRequest(port, head);
      expect(response.status).toBe(401);
      expectStandardBody(response, 'unauthorized');
    });

    it('with credentials, Expect: 100-continue is invited, then served', async () => {
      const socket = connect(port, '127.0.0.1');
      const received: Buffer[] = [];
      const arrived = (text: string) =>
        new Promise<void>((resolve) => {
          const check = (): void => {
            if (Buffer.concat(received).toString().includes(text)) resolve();
            else socket.once('data', check);
          };
          check();
        });
      socket.on('data', (chunk: Buffer) => received.push(chunk));
      socket.write(httpBytes('POST', ACTION, [admin, ['Expect', '100-continue'], ['Content-Length', '16']]));
      await arrived('\r\n\r\n');
      expect(Buffer.concat(received).toString()).toMatch(/^HTTP\/1\.1 100 Continue\r\n/);
      socket.write('{"node_uid":"2"}');
      await arrived('"change_master"');
      expect(Buffer.concat(received).toString()).toMatch(/\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
      socket.destroy();
    });

    it.each([
      ['malformed JSON', '{oops'],
      ['a body over 1 MB', JSON.stringify({ pad: 'x'.repeat(1_100_000) })],
      ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])],
    ])('without credentials, %s is 401 (the body is not parsed)', async (_label, body) => {
      const response = await t.http.post(ACTION).set('Content-Type', 'application/json').send(body);
      expect(response.status).toBe(401);
      expect(response.body.error_code).toBe('unauthorized');
    });
  });
});

describe('HTTP limits on slow clients and connections (defect 12)', () => {
  let t: TestApp;
  let port: number;

  beforeAll(async () => {
    t = await createTestApp({
      env: { HEADERS_TIMEOUT_SECONDS: '1', REQUEST_TIMEOUT_SECONDS: '2', MAX_CONNECTIONS: '2' },
    });
    port = portOf(t);
  });

  afterAll(() => t.close());

  it('headers that take longer than HEADERS_TIMEOUT_SECONDS are 408, and the connection closed', async () => {
    const [response, ms] = await timed(port, 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    expect(response.status).toBe(408);
    expectStandardBody(response, 'request_timeout');
    // Node looks for expired requests once a second.
    expect(ms).toBeLessThan(3000);
  });

  it('a body that takes longer than REQUEST_TIMEOUT_SECONDS is 408, and the connection closed', async () => {
    const [email, password] = t.admin;
    const head = httpBytes('POST', ACTION, [basic(email, password), ['Content-Length', '100']]);
    const [response, ms] = await timed(port, Buffer.concat([head, Buffer.from('{"node_uid":')]));
    expect(response.status).toBe(408);
    expectStandardBody(response, 'request_timeout');
    expect(ms).toBeLessThan(4000);
  });

  it('closes connections over MAX_CONNECTIONS at once, and serves again once one is gone', async () => {
    const server = t.app.getHttpServer();
    const openConnections = (): Promise<number> =>
      new Promise((resolve, reject) =>
        server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
      );
    const held = await Promise.all([holdConnection(port), holdConnection(port)]);
    const refused = await connectionOutcome(port);
    expect(refused).toEqual({ closed: true, received: 0 });
    held[0].destroy();
    for (let i = 0; i < 50 && (await openConnections()) >= 2; i++)
      await new Promise((r) => setTimeout(r, 20));
    const response = await rawRequest(port, httpBytes('GET', '/health'));
    expect(response.status).toBe(200);
    held[1].destroy();
  });
});

/** A keep-alive connection that has been served once, so the server counts it, left open. */
function holdConnection(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('error', reject);
    socket.once('data', () => resolve(socket));
    socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  });
}

/** Whether a new connection was closed by the server within a second, and how many bytes it sent before. */
function connectionOutcome(port: number): Promise<{ closed: boolean; received: number }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = 0;
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ closed: false, received });
    }, 1000);
    socket.on('data', (chunk: Buffer) => (received += chunk.length));
    socket.on('error', () => undefined); // a reset is a refusal too
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ closed: true, received });
    });
    socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  });
}
