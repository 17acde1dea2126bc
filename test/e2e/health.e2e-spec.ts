import { createTestApp, type TestApp } from '../support/app.js';
import { FlakyActionsRepository } from '../support/flaky-actions.repository.js';

describe('GET /health', () => {
  let t: TestApp;
  let store: FlakyActionsRepository;

  beforeEach(async () => {
    store = new FlakyActionsRepository();
    t = await createTestApp({ actionsRepository: store });
  });

  afterEach(() => t.close());

  it('answers 200 without credentials while the store answers', async () => {
    await t.http.get('/health').expect(200, { status: 'ok' });
  });

  it('answers 503 store_unavailable while the store is down', async () => {
    store.down = true;
    await t.http
      .get('/health')
      .expect(503, { error_code: 'store_unavailable', description: 'The store does not answer.' });
    store.down = false;
    await t.http.get('/health').expect(200);
  });
});
