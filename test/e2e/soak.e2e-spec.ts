import { Module } from '@nestjs/common';
import autocannon from 'autocannon';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ActionRunner } from '../../src/actions/action-runner.js';
import { ClusterAction, ClusterActionHandler, type ActionContext } from '../../src/actions/index.js';
import { createTestApp, type TestApp } from '../support/app.js';

/** A short run with a few progress reports, so that soak traffic exercises the whole runner. */
@ClusterAction({ name: 'soak_action' })
class SoakActionHandler extends ClusterActionHandler {
  async run(_params: object, { signal, progress }: ActionContext): Promise<void> {
    for (const percent of [25, 50, 75]) {
      await progress(percent);
      await sleep(1, undefined, { signal });
    }
  }
}

@Module({ providers: [SoakActionHandler] })
class SoakModule {}

const SOAK_SECONDS = Number(process.env.SOAK_SECONDS ?? 25);
const gc = (globalThis as { gc?: () => void }).gc;

async function settledHeap(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc!();
    await sleep(50);
  }
  return process.memoryUsage().heapUsed;
}

describe('soak', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ imports: [SoakModule], env: { CHANGE_MASTER_STEP_MS: '0' } });
  });

  afterAll(() => t.close());

  function load(seconds: number): Promise<autocannon.Result> {
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    const auth = `Basic ${Buffer.from(t.admin.join(':')).toString('base64')}`;
    const headers = { authorization: auth, 'content-type': 'application/json' };
    return autocannon({
      url: `http://127.0.0.1:${port}`,
      connections: 64,
      duration: seconds,
      requests: [
        { method: 'POST', path: '/v1/cluster/actions/soak_action', headers, body: '{}' },
        { method: 'GET', path: '/v1/cluster/actions/soak_action', headers },
        { method: 'DELETE', path: '/v1/cluster/actions/soak_action', headers },
        { method: 'GET', path: '/v1/cluster/actions', headers },
        { method: 'POST', path: '/v1/cluster/actions/change_master', headers, body: '{"node_uid":"2"}' },
        { method: 'POST', path: '/v1/cluster/actions/change_master', headers, body: '{"node_uid":"3"}' },
        { method: 'GET', path: '/v1/nodes/status', headers },
        { method: 'POST', path: '/v1/cluster/actions/soak_action', headers, body: '[' },
        { method: 'GET', path: '/v1/cluster/actions' }, // no credentials: 401
      ],
    });
  }

  it(
    `serves ${SOAK_SECONDS}s of mixed traffic without errors, and memory returns to its baseline`,
    async () => {
      expect(gc).toBeDefined(); // run Jest with node --expose-gc
      await load(2); // warm-up: JIT, caches, connection pools
      const baseline = await settledHeap();

      const result = await load(SOAK_SECONDS);
      expect(result.errors).toBe(0);
      expect(result.timeouts).toBe(0);
      expect(result['5xx']).toBe(0);
      expect(result.requests.total).toBeGreaterThan(1000);

      const runner = t.app.get(ActionRunner);
      for (let i = 0; i < 200 && runner.activeRuns > 0; i++) await sleep(10);
      expect(runner.activeRuns).toBe(0);
      const after = await settledHeap();
      const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
      console.info(
        `soak: ${result.requests.total} requests (${result.requests.average} req/s), ` +
          `non-2xx ${result.non2xx}, heap ${mb(baseline)} MB -> ${mb(after)} MB`,
      );
      // Generous for allocator noise; a leak per request would be far beyond it after this many requests.
      expect(after - baseline).toBeLessThan(8 * 1024 * 1024);
    },
    (SOAK_SECONDS + 30) * 1000,
  );
});
