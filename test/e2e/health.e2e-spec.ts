import { createTestApp, type TestApp } from '../support/app.js';
import { FlakyActionsRepository } from '../support/flaky-actions.repository.js';
import { TEST_ACTION, TestActionModule, TestGate } from '../support/test-action.js';

const STORE_UNAVAILABLE = { error_code: 'store_unavailable', description: 'The store does not answer.' };
const SHUTTING_DOWN = { error_code: 'shutting_down', description: 'The service is stopping.' };

describe('probes', () => {
  let t: TestApp;
  let store: FlakyActionsRepository;

  beforeEach(async () => {
    store = new FlakyActionsRepository();
    t = await createTestApp({ actionsRepository: store });
  });

  afterEach(() => t.close());

  it('GET /health and GET /ready answer 200 without credentials', async () => {
    await t.http.get('/health').expect(200, { status: 'ok' });
    await t.http.get('/ready').expect(200, { status: 'ok' });
  });

  it('GET /ready answers 503 store_unavailable while the store is down; /health stays 200', async () => {
    store.down = true;
    await t.http.get('/ready').expect(503, STORE_UNAVAILABLE);
    await t.http.get('/health').expect(200, { status: 'ok' });
    store.down = false;
    await t.http.get('/ready').expect(200);
  });
});

describe('probes during a graceful stop', () => {
  it('GET /ready answers 503 shutting_down from the start of the stop while the app still serves', async () => {
    const t = await createTestApp({ imports: [TestActionModule], env: { SHUTDOWN_DRAIN_MS: '1000' } });
    await t.http
      .post(`/v1/cluster/actions/${TEST_ACTION}`)
      .auth(...t.admin)
      .expect(200);
    const run = await t.app.get(TestGate).next();
    await t.http.get('/ready').expect(200);

    const closed = t.close();
    await t.http.get('/ready').expect(503, SHUTTING_DOWN);
    // Draining: the replica still answers the requests that reach it, and still runs its run.
    await t.http.get('/health').expect(200);
    await t.http
      .get(`/v1/cluster/actions/${TEST_ACTION}`)
      .auth(...t.admin)
      .expect(200)
      .expect((response) => expect(response.body).toMatchObject({ status: 'running' }));
    run.complete();
    await closed;
  });
});
