import { Validator } from '@seriousme/openapi-schema-validator';
import type { OpenAPIObject, OperationObject, PathItemObject } from '@nestjs/swagger';
import type { Application } from 'express';
import { METHODS } from 'node:http';
import { AppConfig } from '../../src/config/app-config.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { discoverRoutes } from '../support/routes.js';
import { TEST_ACTION, TestActionModule } from '../support/test-action.js';

const OPERATIONS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

/** `/v1/users/:uid` as OpenAPI writes it: `/v1/users/{uid}`. */
const openApiPath = (path: string): string => path.replace(/:(\w+)/g, '{$1}');

/**
 * Every `METHOD path` Express dispatches to a handler, read from its router: what the app really serves.
 * Left out: the documentation's own routes, and the 405 fallbacks, which are what `app.all` registers: a route
 * with a layer for every HTTP method.
 */
function servedRoutes(t: TestApp): string[] {
  const express = t.app.getHttpAdapter().getInstance() as Application;
  return express.router.stack.flatMap(({ route }) => {
    if (!route || String(route.path).startsWith('/docs')) return [];
    const methods = new Set(route.stack.map((layer) => layer.method?.toUpperCase()));
    if (METHODS.every((method) => methods.has(method))) return [];
    return [...methods].map((method) => `${method} ${openApiPath(String(route.path))}`);
  });
}

const operations = (document: OpenAPIObject): Map<string, OperationObject> =>
  new Map(
    Object.entries(document.paths).flatMap(([path, item]: [string, PathItemObject]) =>
      OPERATIONS.flatMap((method) =>
        item[method] ? [[`${method.toUpperCase()} ${path}`, item[method]]] : [],
      ),
    ),
  );

const permissionOf = (operation?: OperationObject): unknown =>
  (operation as { 'x-permission'?: unknown } | undefined)?.['x-permission'];

describe('OpenAPI document and Swagger UI', () => {
  let t: TestApp;
  let document: OpenAPIObject;

  beforeAll(async () => {
    t = await createTestApp({ imports: [TestActionModule] });
    // Public: no credentials.
    document = (await t.http.get('/docs-json').expect(200).expect('Content-Type', /json/))
      .body as OpenAPIObject;
  });
  afterAll(() => t.close());

  it('is a valid OpenAPI 3 document', async () => {
    const result = await new Validator().validate(
      structuredClone(document) as unknown as Record<string, unknown>,
    );
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(document.openapi).toMatch(/^3\./);
  });

  it('describes every route the app serves', () => {
    const served = servedRoutes(t);
    expect(served).toEqual(expect.arrayContaining(['GET /v1/cluster/actions', 'POST /v1/users']));
    const documented = operations(document);
    expect(served.filter((route) => !documented.has(route))).toEqual([]);
  });

  it('gives each route the permission the guard enforces, Basic security and the error body', () => {
    const documented = operations(document);
    const routes = discoverRoutes(t.app);
    expect(routes.length).toBeGreaterThan(10);
    for (const { route, permission, isPublic, signedIn } of routes) {
      const [method, path] = route.split(' ');
      const operation = documented.get(`${method} ${openApiPath(path)}`);
      expect({
        route,
        permission: permissionOf(operation),
      }).toEqual({ route, permission });
      if (isPublic) {
        expect(operation?.security).toBeUndefined();
        continue;
      }
      expect(operation?.security).toEqual([{ basic: [] }]);
      // A signed-in route checks credentials but no permission: it is never 403.
      for (const status of signedIn ? ['401'] : ['401', '403']) {
        expect(operation?.responses[status]).toMatchObject({
          content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorBody' } } },
        });
      }
    }
    expect(document.components?.securitySchemes?.basic).toEqual({ type: 'http', scheme: 'basic' });
    expect(document.components?.schemas?.ErrorBody).toMatchObject({
      required: ['error_code', 'description'],
      properties: { error_code: { type: 'string' }, description: { type: 'string' } },
    });
  });

  it('documents the statuses a route answers besides 200', () => {
    const documented = operations(document);
    expect(Object.keys(documented.get('POST /v1/cluster/actions/{action}')!.responses).sort()).toEqual(
      ['200', '400', '401', '403', '404', '406', '409', '413', '422', '429', '500'].sort(),
    );
    expect(Object.keys(documented.get('GET /v1/users/{uid}')!.responses)).toContain('404');
  });

  it('describes the action object', () => {
    expect(document.components?.schemas?.Action).toMatchObject({
      properties: {
        name: { type: 'string' },
        action_uid: { type: 'string' },
        status: { enum: expect.arrayContaining(['queued', 'running', 'completed', 'failed']) },
        progress: { type: 'number' },
        cancellable: { type: 'boolean' },
      },
    });
    const list = operations(document).get('GET /v1/cluster/actions');
    expect(list?.responses['200']).toMatchObject({
      content: { 'application/json': { schema: { $ref: '#/components/schemas/ActionList' } } },
    });
  });

  const bodySchemaOf = (path: string): unknown => {
    const schema = (
      document.paths[path]?.post?.requestBody as { content: Record<string, { schema: { $ref: string } }> }
    ).content['application/json'].schema;
    return document.components?.schemas?.[schema.$ref.replace('#/components/schemas/', '')];
  };

  it('gives every registered action type its own path with its params schema', () => {
    expect(bodySchemaOf('/v1/cluster/actions/change_master')).toEqual({
      type: 'object',
      properties: {
        node_uid: { type: 'string', pattern: expect.any(String) },
        expected_master_uid: { type: 'string', pattern: expect.any(String) },
      },
      required: ['node_uid'],
      additionalProperties: false,
    });
    // Registered by a module of the tests, as any extension would.
    expect(bodySchemaOf(`/v1/cluster/actions/${TEST_ACTION}`)).toEqual({
      type: 'object',
      properties: { label: { type: 'string', maxLength: 64 }, ignore_signal: { type: 'boolean' } },
      additionalProperties: false,
    });
    expect(permissionOf(document.paths[`/v1/cluster/actions/${TEST_ACTION}`].post)).toBe(
      'start_cluster_action',
    );
  });

  it('documents the user bodies from their validation rules', () => {
    expect(bodySchemaOf('/v1/users')).toMatchObject({
      properties: {
        email: { type: 'string', format: 'email' },
        password: { type: 'string', minLength: 8 },
        role: { enum: expect.arrayContaining(['admin', 'none']) },
      },
      required: ['email', 'password', 'role'],
      additionalProperties: false,
    });
  });

  it('documents the Idempotency-Key header on the generic POST and on the path of each action type', () => {
    const posts = ['{action}', 'change_master', TEST_ACTION].map(
      (action) => document.paths[`/v1/cluster/actions/${action}`].post,
    );
    for (const post of posts) {
      expect(post?.parameters).toContainEqual(
        expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: false }),
      );
    }
  });

  it('serves Swagger UI at /docs without credentials', async () => {
    const page = await t.http.get('/docs').expect(200).expect('Content-Type', /html/);
    expect(page.text).toContain('swagger-ui');
  });

  it('is served behind every API route (an API request passes none of its layers), and answers 405 too', async () => {
    const stack = (t.app.getHttpAdapter().getInstance() as Application).router.stack;
    const firstDocs = stack.findIndex(({ route }) => String(route?.path).startsWith('/docs'));
    // A controller's route, not a 405 fallback (a layer for every method).
    const lastApi = stack.findLastIndex(
      ({ route }) => String(route?.path).startsWith('/v1/') && route!.stack.length < METHODS.length,
    );
    expect(firstDocs).toBeGreaterThan(lastApi);
    expect(lastApi).toBeGreaterThan(0);

    const refused = await t.http.post('/docs-json').expect(405);
    expect(refused.headers.allow).toBe('GET');
  });
});

describe('OPENAPI', () => {
  it('is on by default, and refuses a value other than on or off naming the variable', () => {
    expect(new AppConfig({}).openApi).toBe(true);
    expect(() => new AppConfig({ OPENAPI: 'no' })).toThrow(/^Invalid OPENAPI: /);
  });
});

describe('OPENAPI=off', () => {
  let t: TestApp;
  beforeAll(async () => (t = await createTestApp({ env: { OPENAPI: 'off' } })));
  afterAll(() => t.close());

  it.each(['/docs', '/docs-json'])('answers 404 at %s', async (path) => {
    await t.http
      .get(path)
      .auth(...t.admin)
      .expect(404, { error_code: 'not_found', description: 'No such route.' });
  });
});
