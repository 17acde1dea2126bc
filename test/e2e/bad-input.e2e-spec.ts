import type { AddressInfo } from 'node:net';
import { createTestApp, type TestApp } from '../support/app.js';
import { pollAction } from '../support/poll.js';
import { httpBytes, rawRequest } from '../support/raw-http.js';

type Header = readonly [string, string];

const basic = (user: string, password: string): Header => [
  'Authorization',
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
];
const ADMIN = basic('admin@test.local', 'admin-password');
const JSON_TYPE: Header = ['Content-Type', 'application/json'];
const ACTION = '/v1/cluster/actions/change_master';

interface Case {
  readonly label: string;
  readonly method: string;
  readonly path: string;
  readonly headers?: readonly Header[];
  readonly body?: string | Buffer;
  /** The request's bytes as they are, for what httpBytes would correct (no Host, a false Content-Length). */
  readonly raw?: string;
  /** The exact status, when one is owed. Otherwise any 4xx. */
  readonly status?: number;
  readonly code?: string;
}

const post = (
  label: string,
  body: string | Buffer,
  status: number,
  code: string,
  headers = [ADMIN, JSON_TYPE],
): Case => ({
  label,
  method: 'POST',
  path: ACTION,
  headers,
  body,
  status,
  code,
});

const invalidJson = (label: string, body: string | Buffer): Case => post(label, body, 400, 'invalid_request');
const invalidParams = (label: string, value: unknown): Case =>
  post(label, JSON.stringify(value), 400, 'invalid_request');

const nested = (open: string, close: string, levels: number, inner = '1'): string =>
  open.repeat(levels) + inner + close.repeat(levels);
const rawPost = (path: string, headers: readonly Header[], contentLength: number, body: string): string =>
  [`POST ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close', ...headers.map(([n, v]) => `${n}: ${v}`)]
    .concat([`Content-Length: ${contentLength}`, '', body])
    .join('\r\n');

const CASES: readonly Case[] = [
  // Malformed and truncated JSON.
  invalidJson('truncated object', '{"node_uid": "2"'),
  invalidJson('truncated string', '{"node_uid": "2'),
  invalidJson('only an opening brace', '{'),
  invalidJson('trailing comma', '{"node_uid": "2",}'),
  invalidJson('single quotes', "{'node_uid': '2'}"),
  invalidJson('unquoted key', '{node_uid: "2"}'),
  invalidJson('two objects', '{}{}'),
  invalidJson('comment', '{/* c */ "node_uid": "2"}'),
  invalidJson('NaN literal', '{"node_uid": NaN}'),
  invalidJson('form encoding', 'node_uid=2'),
  invalidJson('xml', '<node_uid>2</node_uid>'),
  invalidJson('bare word', 'change_master'),
  invalidJson('whitespace only', '   \n  '),
  invalidJson('a BOM and garbage', '\ufeff{oops}'),
  // Wrong content types with bodies that are not JSON.
  post('text/plain prose', 'please promote node 2', 400, 'invalid_request', [
    ADMIN,
    ['Content-Type', 'text/plain'],
  ]),
  post(
    'multipart body',
    '--x\r\nContent-Disposition: form-data; name="node_uid"\r\n\r\n2\r\n--x--',
    400,
    'invalid_request',
    [ADMIN, ['Content-Type', 'multipart/form-data; boundary=x']],
  ),
  post('octet-stream bytes', Buffer.from([0, 1, 2, 3, 255]), 400, 'invalid_request', [
    ADMIN,
    ['Content-Type', 'application/octet-stream'],
  ]),
  post('json with a latin1 charset', '{"node_uid":"2"}', 415, 'unsupported_media_type', [
    ADMIN,
    ['Content-Type', 'application/json; charset=latin1'],
  ]),
  post('gzip encoding that is not gzip', '{"node_uid":"2"}', 400, 'invalid_request', [
    ADMIN,
    JSON_TYPE,
    ['Content-Encoding', 'gzip'],
  ]),
  post('unknown content encoding', '{"node_uid":"2"}', 415, 'unsupported_media_type', [
    ADMIN,
    JSON_TYPE,
    ['Content-Encoding', 'snappy'],
  ]),
  // Arrays and scalars instead of an object.
  invalidParams('empty array', []),
  invalidParams('array of an object', [{ node_uid: '2' }]),
  invalidParams('number', 2),
  invalidParams('string', '2'),
  invalidParams('true', true),
  invalidParams('null', null),
  // Wrong field types.
  invalidParams('numeric node_uid', { node_uid: 2 }),
  invalidParams('boolean node_uid', { node_uid: true }),
  invalidParams('null node_uid', { node_uid: null }),
  invalidParams('array node_uid', { node_uid: ['2'] }),
  invalidParams('object node_uid', { node_uid: { uid: '2' } }),
  invalidParams('fractional node_uid', { node_uid: '1.5' }),
  invalidParams('negative node_uid', { node_uid: '-1' }),
  invalidParams('zero node_uid', { node_uid: '0' }),
  invalidParams('hex node_uid', { node_uid: '0x2' }),
  invalidParams('exponent node_uid', { node_uid: '2e0' }),
  invalidParams('missing node_uid', {}),
  // Unknown fields.
  invalidParams('an extra field', { node_uid: '2', force: true }),
  invalidParams('only unknown fields', { uid: '2' }),
  invalidParams('a misspelt field', { nodeUid: '2' }),
  // Empty and very long strings.
  invalidParams('empty node_uid', { node_uid: '' }),
  invalidParams('blank node_uid', { node_uid: '   ' }),
  invalidParams('1000-digit node_uid', { node_uid: '9'.repeat(1000) }),
  invalidParams('100 KB node_uid', { node_uid: 'x'.repeat(100_000) }),
  invalidParams('padded node_uid', { node_uid: ' 2 ' }),
  // Control characters and invalid UTF-8.
  invalidParams('NUL in node_uid', { node_uid: '2\u0000' }),
  invalidParams('bell in node_uid', { node_uid: '\u0007' }),
  invalidParams('newline in node_uid', { node_uid: '2\n' }),
  invalidParams('right-to-left override', { node_uid: '\u202e2' }),
  invalidParams('lone surrogate escape', JSON.parse('{"node_uid":"\\ud800"}')),
  invalidJson(
    'invalid UTF-8 bytes',
    Buffer.concat([Buffer.from('{"node_uid":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]),
  ),
  invalidJson(
    'overlong UTF-8 quote',
    Buffer.concat([Buffer.from('{"node_uid":'), Buffer.from([0xc0, 0xa2]), Buffer.from('2"}')]),
  ),
  invalidJson('raw control character in a string', '{"node_uid":"2\u0001"}'),
  // Prototype keys.
  invalidParams('__proto__ key', JSON.parse('{"__proto__": {"node_uid": "2"}}')),
  invalidParams(
    '__proto__ beside a valid field',
    JSON.parse('{"node_uid": "2", "__proto__": {"admin": true}}'),
  ),
  invalidParams('constructor key', { node_uid: '2', constructor: { prototype: { x: 1 } } }),
  invalidParams('prototype key', { node_uid: '2', prototype: {} }),
  invalidParams('nested __proto__', JSON.parse('{"node_uid": "2", "x": {"__proto__": {"y": 1}}}')),
  // Deep nesting: a bounded answer, not a stack overflow.
  invalidJson('5000 nested arrays', `{"node_uid":${nested('[', ']', 5000, '')}}`),
  invalidJson('5000 nested objects', nested('{"a":', '}', 5000)),
  invalidJson('33 nested objects', nested('{"a":', '}', 33)),
  {
    label: 'POST a user nested 5000 deep',
    method: 'POST',
    path: '/v1/users',
    headers: [ADMIN, JSON_TYPE],
    body: nested('{"email":', '}', 5000),
    status: 400,
    code: 'invalid_request',
  },
  {
    label: 'PUT a user nested 5000 deep',
    method: 'PUT',
    path: '/v1/users/1',
    headers: [ADMIN, JSON_TYPE],
    body: `{"name":${nested('[', ']', 5000, '')}}`,
    status: 400,
    code: 'invalid_request',
  },
  // Long, odd or percent-encoded action names and uids.
  {
    label: 'POST a 2000-char action name',
    method: 'POST',
    path: `/v1/cluster/actions/${'a'.repeat(2000)}`,
    headers: [ADMIN],
    status: 400,
    code: 'unknown_action',
  },
  {
    label: 'GET a 2000-char action name',
    method: 'GET',
    path: `/v1/cluster/actions/${'a'.repeat(2000)}`,
    headers: [ADMIN],
    status: 404,
    code: 'action_not_found',
  },
  {
    label: 'DELETE a 2000-char action name',
    method: 'DELETE',
    path: `/v1/cluster/actions/${'a'.repeat(2000)}`,
    headers: [ADMIN],
    status: 404,
    code: 'action_not_found',
  },
  {
    label: 'POST an upper-case name',
    method: 'POST',
    path: '/v1/cluster/actions/CHANGE_MASTER',
    headers: [ADMIN],
    body: '{"node_uid":"2"}',
    status: 400,
    code: 'unknown_action',
  },
  {
    label: 'POST an encoded NUL name',
    method: 'POST',
    path: '/v1/cluster/actions/change_master%00',
    headers: [ADMIN],
    status: 400,
    code: 'unknown_action',
  },
  {
    label: 'POST an encoded slash',
    method: 'POST',
    path: '/v1/cluster/actions/change%2Fmaster',
    headers: [ADMIN],
    status: 400,
    code: 'unknown_action',
  },
  {
    label: 'POST an encoded dot-dot',
    method: 'POST',
    path: '/v1/cluster/actions/%2e%2e',
    headers: [ADMIN],
    status: 400,
    code: 'unknown_action',
  },
  {
    label: 'POST a broken escape',
    method: 'POST',
    path: '/v1/cluster/actions/%zz',
    headers: [ADMIN],
    status: 400,
    code: 'invalid_request',
  },
  {
    label: 'GET a truncated escape',
    method: 'GET',
    path: '/v1/cluster/actions/%E0%A4%A',
    headers: [ADMIN],
    status: 400,
    code: 'invalid_request',
  },
  {
    label: 'DELETE an emoji name',
    method: 'DELETE',
    path: '/v1/cluster/actions/%F0%9F%94%A5',
    headers: [ADMIN],
    status: 404,
    code: 'action_not_found',
  },
  {
    label: 'POST a name with spaces',
    method: 'POST',
    path: '/v1/cluster/actions/change%20master',
    headers: [ADMIN],
    status: 400,
    code: 'unknown_action',
  },
  {
    label: 'GET node uid 0',
    method: 'GET',
    path: '/v1/nodes/0',
    headers: [ADMIN],
    status: 404,
    code: 'node_not_found',
  },
  {
    label: 'GET a 500-digit node uid',
    method: 'GET',
    path: `/v1/nodes/${'9'.repeat(500)}`,
    headers: [ADMIN],
    status: 404,
    code: 'node_not_found',
  },
  {
    label: 'GET a negative node uid',
    method: 'GET',
    path: '/v1/nodes/-1',
    headers: [ADMIN],
    status: 404,
    code: 'node_not_found',
  },
  {
    label: 'GET an encoded node uid',
    method: 'GET',
    path: '/v1/nodes/%31%00',
    headers: [ADMIN],
    status: 404,
    code: 'node_not_found',
  },
  {
    label: 'GET a broken-escape node uid',
    method: 'GET',
    path: '/v1/nodes/%ff',
    headers: [ADMIN],
    status: 400,
    code: 'invalid_request',
  },
  // Authorization headers.
  { label: 'no credentials', method: 'DELETE', path: ACTION, status: 401, code: 'unauthorized' },
  {
    label: 'two Authorization headers',
    method: 'DELETE',
    path: ACTION,
    headers: [ADMIN, ADMIN],
    status: 401,
    code: 'unauthorized',
  },
  {
    label: 'Basic without a space',
    method: 'DELETE',
    path: ACTION,
    headers: [['Authorization', 'BasicYWRtaW4=']],
    status: 401,
    code: 'unauthorized',
  },
  {
    label: 'Basic with nothing',
    method: 'DELETE',
    path: ACTION,
    headers: [['Authorization', 'Basic ']],
    status: 401,
    code: 'unauthorized',
  },
  {
    label: 'Basic of a colon only',
    method: 'DELETE',
    path: ACTION,
    headers: [basic('', '')],
    status: 401,
    code: 'unauthorized',
  },
  {
    label: 'Basic with non-base64',
    method: 'DELETE',
    path: ACTION,
    headers: [['Authorization', 'Basic ***']],
    status: 401,
    code: 'unauthorized',
  },
  {
    label: 'Basic with a 7 KB token',
    method: 'DELETE',
    path: ACTION,
    headers: [['Authorization', `Basic ${'QUFB'.repeat(1800)}`]],
    status: 401,
    code: 'unauthorized',
  },
  {
    label: 'Bearer token',
    method: 'DELETE',
    path: ACTION,
    headers: [['Authorization', 'Bearer abc']],
    status: 401,
    code: 'unauthorized',
  },
  {
    label: 'Digest scheme',
    method: 'DELETE',
    path: ACTION,
    headers: [['Authorization', 'Digest username="admin"']],
    status: 401,
    code: 'unauthorized',
  },
  {
    label: 'wrong password',
    method: 'DELETE',
    path: ACTION,
    headers: [basic('admin@test.local', 'nope')],
    status: 401,
    code: 'unauthorized',
  },
  {
    label: 'password with a NUL',
    method: 'DELETE',
    path: ACTION,
    headers: [basic('admin@test.local', 'admin-password\u0000')],
    status: 401,
    code: 'unauthorized',
  },
  {
    label: 'latin1 bytes in credentials',
    method: 'DELETE',
    path: ACTION,
    headers: [['Authorization', `Basic ${Buffer.from([0xe9, 0x3a, 0xe9]).toString('base64')}`]],
    status: 401,
    code: 'unauthorized',
  },
  // Huge headers.
  {
    label: 'a 20 KB header',
    method: 'GET',
    path: '/v1/nodes',
    headers: [ADMIN, ['X-Padding', 'a'.repeat(20_000)]],
    status: 431,
    code: 'headers_too_large',
  },
  {
    label: '300 small headers',
    method: 'GET',
    path: '/v1/nodes',
    headers: [ADMIN, ...Array.from({ length: 300 }, (_, i): Header => [`X-H${i}`, 'v'.repeat(60)])],
    status: 431,
    code: 'headers_too_large',
  },
  // Protocol: requests Node or the framework refuses, still in the standard body.
  {
    label: 'HTTP/1.1 without Host',
    method: 'GET',
    path: '/v1/nodes',
    raw: 'GET /v1/nodes HTTP/1.1\r\nConnection: close\r\n\r\n',
    status: 400,
    code: 'invalid_request',
  },
  {
    label: 'an Expect other than 100-continue',
    method: 'POST',
    path: ACTION,
    headers: [ADMIN, JSON_TYPE, ['Expect', '200-ok']],
    body: '{"node_uid":"2"}',
    status: 417,
    code: 'expectation_failed',
  },
  {
    label: 'a declared 5 MB body that never comes',
    method: 'POST',
    path: ACTION,
    raw: rawPost(ACTION, [ADMIN, JSON_TYPE], 5_000_000, '{"node_uid":'),
    status: 413,
    code: 'payload_too_large',
  },
  {
    label: 'a cross-site POST (Origin)',
    method: 'POST',
    path: ACTION,
    headers: [ADMIN, ['Content-Type', 'text/plain'], ['Origin', 'http://evil.example']],
    body: '{"node_uid":"2"}',
    status: 403,
    code: 'cross_site_request',
  },
  {
    label: 'a cross-site DELETE (Sec-Fetch-Site)',
    method: 'DELETE',
    path: ACTION,
    headers: [ADMIN, ['Sec-Fetch-Site', 'cross-site']],
    status: 403,
    code: 'cross_site_request',
  },
  {
    label: 'malformed JSON without credentials',
    method: 'POST',
    path: ACTION,
    headers: [JSON_TYPE],
    body: '{oops',
    status: 401,
    code: 'unauthorized',
  },
  {
    label: 'a declared 5 MB body without credentials',
    method: 'POST',
    path: ACTION,
    raw: rawPost(ACTION, [JSON_TYPE], 5_000_000, '{'),
    status: 401,
    code: 'unauthorized',
  },
  // Methods a route does not allow.
  {
    label: 'PUT an action',
    method: 'PUT',
    path: ACTION,
    headers: [ADMIN, JSON_TYPE],
    body: '{}',
    status: 405,
    code: 'method_not_allowed',
  },
  {
    label: 'PATCH an action',
    method: 'PATCH',
    path: ACTION,
    headers: [ADMIN, JSON_TYPE],
    body: '{}',
    status: 405,
    code: 'method_not_allowed',
  },
  {
    label: 'POST the action list',
    method: 'POST',
    path: '/v1/cluster/actions',
    headers: [ADMIN],
    status: 405,
    code: 'method_not_allowed',
  },
  {
    label: 'DELETE the action list',
    method: 'DELETE',
    path: '/v1/cluster/actions',
    headers: [ADMIN],
    status: 405,
    code: 'method_not_allowed',
  },
  {
    label: 'POST a node',
    method: 'POST',
    path: '/v1/nodes',
    headers: [ADMIN],
    status: 405,
    code: 'method_not_allowed',
  },
  {
    label: 'DELETE a node',
    method: 'DELETE',
    path: '/v1/nodes/1',
    headers: [ADMIN],
    status: 405,
    code: 'method_not_allowed',
  },
  {
    label: 'OPTIONS an action',
    method: 'OPTIONS',
    path: ACTION,
    headers: [ADMIN],
    status: 405,
    code: 'method_not_allowed',
  },
  {
    label: 'an invented method',
    method: 'BREW',
    path: ACTION,
    headers: [ADMIN],
    status: 400,
    code: 'invalid_request',
  },
  // Unknown routes and broken request lines.
  {
    label: 'an unknown route',
    method: 'GET',
    path: '/v2/cluster/actions',
    headers: [ADMIN],
    status: 404,
    code: 'not_found',
  },
  {
    label: 'a too-deep route',
    method: 'GET',
    path: `${ACTION}/extra`,
    headers: [ADMIN],
    status: 404,
    code: 'not_found',
  },
  {
    label: 'a path without a slash',
    method: 'GET',
    path: 'v1/nodes',
    headers: [ADMIN],
    status: 400,
    code: 'invalid_request',
  },
  {
    label: 'a space in the path',
    method: 'GET',
    path: '/v1/no des',
    headers: [ADMIN],
    status: 400,
    code: 'invalid_request',
  },
];

describe('bad-input corpus', () => {
  let t: TestApp;
  let port: number;
  let snapshot: () => Promise<string>;

  beforeAll(async () => {
    t = await createTestApp({ env: { CHANGE_MASTER_STEP_MS: '0' } });
    port = (t.app.getHttpServer().address() as AddressInfo).port;
    // A stored status that a mishandled request could damage.
    await t.http
      .post(ACTION)
      .auth(...t.admin)
      .send({ node_uid: '3' })
      .expect(200);
    await pollAction(t.http, t.admin, 'change_master');
    snapshot = async () => {
      const actions = await t.http
        .get('/v1/cluster/actions')
        .auth(...t.admin)
        .expect(200);
      const nodes = await t.http
        .get('/v1/nodes/status')
        .auth(...t.admin)
        .expect(200);
      return JSON.stringify([actions.body, nodes.body]);
    };
  });

  afterAll(() => t.close());

  it('has at least 80 cases with unique labels', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(80);
    expect(new Set(CASES.map((c) => c.label)).size).toBe(CASES.length);
  });

  it.each(CASES.map((c) => [c.label, c] as const))(
    '%s: a 4xx with the standard body, state unchanged',
    async (_label, c) => {
      const before = await snapshot();
      const response = await rawRequest(port, c.raw ?? httpBytes(c.method, c.path, c.headers, c.body));
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      if (c.status) expect(response.status).toBe(c.status);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      const body = JSON.parse(response.text) as Record<string, unknown>;
      expect(Object.keys(body).sort()).toEqual(['description', 'error_code']);
      if (c.code) expect(body.error_code).toBe(c.code);
      expect(typeof body.description).toBe('string');
      expect(response.text).not.toMatch(/\bat .+:\d+:\d+|node_modules|SyntaxError/);
      expect(await snapshot()).toBe(before);
    },
  );
});
