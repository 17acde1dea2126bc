import { createTestApp, type TestApp } from '../support/app.js';

const isStandardBody = (body: unknown): boolean =>
  typeof body === 'object' &&
  body !== null &&
  Object.keys(body).sort().join() === 'description,error_code' &&
  /^[a-z_]+$/.test((body as { error_code: string }).error_code);

describe('error bodies from every layer', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });

  afterAll(() => t.close());

  it.each([
    ['GET', '/nope', 404, 'not_found'],
    ['GET', '/v1/cluster', 404, 'not_found'],
    ['GET', '/v1/cluster/actions/%E0%A4%A', 400, 'invalid_request'],
    ['GET', '/v1/nodes/%ff', 400, 'invalid_request'],
  ])('%s %s is %i %s with the standard body', async (method, url, status, code) => {
    const response = await t.http[method.toLowerCase() as 'get'](url).auth(...t.admin);
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.body.error_code).toBe(code);
    expect(isStandardBody(response.body)).toBe(true);
  });

  it.each([
    ['PUT', '/v1/cluster/actions/change_master', 'GET, POST, DELETE'],
    ['PATCH', '/v1/cluster/actions', 'GET'],
    ['POST', '/v1/nodes/status', 'GET'],
    ['POST', '/v1/users/2', 'GET, PUT, DELETE'],
    ['DELETE', '/v1/users', 'GET, POST'],
    ['PUT', '/health', 'GET'],
  ])('%s %s is 405 method_not_allowed with Allow: %s', async (method, url, allow) => {
    const response = await t.http[method.toLowerCase() as 'put'](url).auth(...t.admin);
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe(allow);
    expect(response.body.error_code).toBe('method_not_allowed');
    expect(isStandardBody(response.body)).toBe(true);
  });

  it('answers 405 before authentication, as 404 for an unknown path is', async () => {
    const response = await t.http.put('/v1/cluster/actions/change_master');
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe('GET, POST, DELETE');
  });

  it.each([
    ['truncated JSON', '{"node_uid": "2"'],
    ['a trailing comma', '{"node_uid": "2",}'],
    ['single quotes', "{'node_uid': '2'}"],
    ['plain text', 'node_uid=2'],
  ])('a body of %s is 400 invalid_request', async (_case, body) => {
    const response = await t.http
      .post('/v1/cluster/actions/change_master')
      .auth(...t.admin)
      .set('Content-Type', 'application/json')
      .send(body)
      .expect(400);
    expect(response.body).toEqual({
      error_code: 'invalid_request',
      description: 'The request body is not valid JSON.',
    });
  });

  it('takes a JSON body whatever its Content-Type says (curl -d)', async () => {
    await t.http
      .post('/v1/cluster/actions/change_master')
      .auth(...t.admin)
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .send('{"node_uid": "1"}')
      .expect(200);
  });

  it('a body over 1 MB is 413 payload_too_large', async () => {
    const response = await t.http
      .post('/v1/cluster/actions/change_master')
      .auth(...t.admin)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ node_uid: '2', pad: 'x'.repeat(1024 * 1024) }))
      .expect(413);
    expect(response.body).toEqual({
      error_code: 'payload_too_large',
      description: 'The request body is larger than 1 MB.',
    });
  });

  it('an unsupported body encoding is a 4xx with the standard body', async () => {
    const response = await t.http
      .post('/v1/cluster/actions/change_master')
      .auth(...t.admin)
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'br-unknown')
      .send('{}');
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(isStandardBody(response.body)).toBe(true);
  });

  it('never shows a stack trace or framework message', async () => {
    const response = await t.http
      .post('/v1/cluster/actions/change_master')
      .auth(...t.admin)
      .set('Content-Type', 'application/json')
      .send('{"a":')
      .expect(400);
    expect(response.text).not.toMatch(/at .*\.js|SyntaxError|Unexpected|node_modules/);
  });
});
