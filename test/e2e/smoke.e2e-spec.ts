import { createTestApp, type TestApp } from '../support/app.js';

describe('smoke', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('lists no actions', async () => {
    await t.http
      .get('/v1/cluster/actions')
      .auth(...t.admin)
      .expect(200, { actions: [] });
  });
});
