import { Controller, Get, Header, Module } from '@nestjs/common';
import express from 'express';
import request from 'supertest';
import { Public } from '../../src/auth/require-permission.decorator.js';
import { createTestApp, type TestApp } from '../support/app.js';

/** A route of a host's own that names its JSON media type. */
@Controller('problem')
class ProblemController {
  @Get()
  @Public()
  @Header('Content-Type', 'application/problem+json')
  get(): object {
    return { title: 'a problem' };
  }
}

@Module({ controllers: [ProblemController] })
class ProblemModule {}

/** What Express's res.json sends for `body` with the service's settings (no ETag, no X-Powered-By). */
async function expressReply(status: number, body: unknown, method: 'get' | 'head' = 'get') {
  const app = express().disable('x-powered-by').set('etag', false);
  app.all('/', (_request, response) => void response.status(status).json(body));
  return request(app)[method]('/');
}

/** The headers a JSON reply is made of (the rest, e.g. Date and X-Request-Id, differ per response). */
const replyHeaders = (response: request.Response) => ({
  status: response.status,
  contentType: response.headers['content-type'],
  contentLength: response.headers['content-length'],
});

describe('JSON replies', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ imports: [ProblemModule] });
  });

  afterAll(() => t.close());

  it("sends a handler's JSON exactly as Express's res.json would, non-ASCII text included", async () => {
    const viewer = await t.userWithRole('cluster_viewer', { name: 'Zoë Ødegård' });
    const response = await t.http.get('/v1/users/me').auth(...viewer);
    expect(response.body).toMatchObject({ name: 'Zoë Ødegård' });

    const reference = await expressReply(200, response.body);
    expect(replyHeaders(response)).toEqual(replyHeaders(reference));
    expect(response.text).toBe(reference.text);
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const get = await t.http.get('/v1/users/me').auth(...t.admin);
    const head = await t.http.head('/v1/users/me').auth(...t.admin);

    expect(replyHeaders(head)).toEqual(replyHeaders(get));
    expect(head.text).toBeUndefined();
    const reference = await expressReply(200, get.body, 'head');
    expect(replyHeaders(head)).toEqual(replyHeaders(reference));
  });

  it('sends error bodies exactly as Express would', async () => {
    const response = await t.http.get('/v1/cluster/actions/change_master').auth(...t.admin);
    expect(response.status).toBe(404);

    const reference = await expressReply(404, response.body);
    expect(replyHeaders(response)).toEqual(replyHeaders(reference));
    expect(response.text).toBe(reference.text);
  });

  it("keeps a Content-Type the handler chose, as Express's res.json does", async () => {
    const response = await t.http.get('/problem').expect(200);
    expect(response.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(JSON.parse(response.text)).toEqual({ title: 'a problem' });
  });

  it('leaves replies that are not JSON documents to Express', async () => {
    const response = await t.http.get('/metrics').auth(...t.admin);
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
  });
});
