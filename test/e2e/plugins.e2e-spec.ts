import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BuiltService, requireBuild } from '../support/built-service.js';
import { startReplicationGroup, type RedisServer } from '../support/redis-servers.js';
import { ServiceProcess, waitFor } from '../support/service-process.js';

const ADMIN = ['admin@plugins.local', 'plugins-admin-password'] as const;
/** The example extension as built by `npm run build`, named as an operator would: relative to the working directory. */
const SNAPSHOT_PLUGIN = './examples/snapshot/dist/index.js';

interface Run {
  readonly action_uid: string;
  readonly status: string;
  readonly progress: number;
  readonly step?: string;
  readonly result?: { readonly nodes: Record<string, { readonly status: string }> };
}

describe('the snapshot example loaded through EXTENSION_MODULES into the built service', () => {
  let service: ServiceProcess;

  beforeAll(async () => {
    requireBuild();
    service = await ServiceProcess.start(
      {
        DATABASE_URL: 'memory:',
        ADMIN_EMAIL: ADMIN[0],
        ADMIN_PASSWORD: ADMIN[1],
        EXTENSION_MODULES: SNAPSHOT_PLUGIN,
        // Each node's simulated save takes this long: long enough to see a run between two nodes.
        CHANGE_MASTER_STEP_MS: '300',
      },
      ADMIN,
    );
  });

  afterAll(() => BuiltService.killAll());

  const latest = () => service.json<Run>('/v1/cluster/actions/snapshot');

  it('starts a run that saves every node with progress per node and per-node results, then shows it in history', async () => {
    expect(service.output).toContain('Extension modules: SnapshotModule.');
    const started = (await (await service.request('POST', '/v1/cluster/actions/snapshot')).json()) as Run;
    expect(started.status).toBe('queued');
    const seenSteps = new Set<string>();
    const done = await waitFor('the snapshot to complete', async () => {
      const run = await latest();
      if (run.step) seenSteps.add(run.step);
      return run.status === 'completed' ? run : undefined;
    });
    expect(done.progress).toBe(100);
    expect(Object.values(done.result!.nodes).map((node) => node.status)).toEqual(['saved', 'saved', 'saved']);
    expect(
      [...seenSteps].every((step) => /^saving node [123] \(node[123]\.cluster\.local\)$/.test(step)),
    ).toBe(true);
    const history = await service.json<{ actions: Run[] }>('/v1/cluster/actions/snapshot/history');
    expect(history.actions.map((run) => run.action_uid)).toEqual([started.action_uid]);
    expect(history.actions[0].result).toEqual(done.result);
  });

  it('stops between nodes on DELETE: the run ends cancelled with the nodes saved so far', async () => {
    expect((await service.request('POST', '/v1/cluster/actions/snapshot')).status).toBe(200);
    await waitFor('the first node to be saved', async () => ((await latest()).result ? true : undefined));
    expect((await service.request('DELETE', '/v1/cluster/actions/snapshot')).status).toBe(200);
    const end = await waitFor('the cancel to be recorded', async () => {
      const run = await latest();
      return run.status === 'cancelled' ? run : undefined;
    });
    expect(Object.keys(end.result!.nodes).length).toBeLessThan(3);
  });

  it('is listed with the built-in action types in the OpenAPI document', async () => {
    const document = await service.json<{ paths: Record<string, unknown> }>('/docs-json');
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/v1/cluster/actions/snapshot', '/v1/cluster/actions/change_master']),
    );
  });
});

describe('the snapshot example on a live Redis replication group', () => {
  let servers: RedisServer[];
  let service: ServiceProcess;

  beforeAll(async () => {
    requireBuild();
    servers = await startReplicationGroup(3);
    service = await ServiceProcess.start(
      {
        DATABASE_URL: 'memory:',
        ADMIN_EMAIL: ADMIN[0],
        ADMIN_PASSWORD: ADMIN[1],
        EXTENSION_MODULES: SNAPSHOT_PLUGIN,
        CLUSTER_NODES: servers.map((server) => server.url).join(','),
        NODE_POLL_MS: '50',
      },
      ADMIN,
    );
  });

  afterAll(async () => {
    await BuiltService.killAll();
    await Promise.all(servers.map((server) => server.close()));
  });

  it('runs BGSAVE on every node and completes once each LASTSAVE moved, reporting it per node', async () => {
    const lastSave = () =>
      Promise.all(servers.map(async (server) => Number(await server.client().lastsave())));
    const before = await lastSave();
    expect((await service.request('POST', '/v1/cluster/actions/snapshot')).status).toBe(200);
    const done = await waitFor('the snapshot to complete', async () => {
      const run = await service.json<Run>('/v1/cluster/actions/snapshot');
      return run.status === 'completed' || run.status === 'failed' ? run : undefined;
    });
    expect(done.status).toBe('completed');
    const after = await lastSave();
    after.forEach((seconds, index) => expect(seconds).toBeGreaterThan(before[index]));
    expect(done.result!.nodes).toEqual(
      Object.fromEntries(
        servers.map((server, index) => [
          String(index + 1),
          { addr: server.addr, status: 'saved', saved_at: new Date(after[index] * 1000).toISOString() },
        ]),
      ),
    );
  });
});

/**
 * Extensions installed outside the service, as an operator deploys them: plain ES modules in a temporary folder,
 * importing `cluster-actions`, `@nestjs/common` and `class-validator`, which resolve to the service's own copies.
 */
describe('extension modules installed outside the service', () => {
  let folder: string;

  beforeAll(() => {
    requireBuild();
    folder = mkdtempSync(join(tmpdir(), 'cluster-actions-plugins-'));
  });

  afterEach(() => BuiltService.killAll());
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  /** Writes a plugin file and returns its EXTENSION_MODULES specifier (an absolute path). */
  function plugin(name: string, lines: readonly string[]): string {
    writeFileSync(join(folder, name), `${lines.join('\n')}\n`);
    return join(folder, name);
  }

  it('serves a handler with a validated params class, from an extension that has no node_modules of its own', async () => {
    const specifier = plugin('counter.js', [
      "import { Module } from '@nestjs/common';",
      "import { IsInt, Max } from 'class-validator';",
      "import { ClusterAction, ClusterActionHandler } from 'cluster-actions';",
      'export class CountParams {}',
      "IsInt()(CountParams.prototype, 'to');",
      "Max(5)(CountParams.prototype, 'to');",
      'class Count extends ClusterActionHandler {',
      '  async run({ to }, { progress, result }) {',
      '    for (let i = 1; i <= to; i++) await progress((i * 100) / to, `count ${i}`);',
      '    await result({ counted: to });',
      '  }',
      '}',
      "ClusterAction({ name: 'count', params: CountParams })(Count);",
      'export default class CountModule {}',
      'Module({ providers: [Count] })(CountModule);',
    ]);
    const service = await ServiceProcess.start(
      {
        DATABASE_URL: 'memory:',
        ADMIN_EMAIL: ADMIN[0],
        ADMIN_PASSWORD: ADMIN[1],
        EXTENSION_MODULES: specifier,
      },
      ADMIN,
    );
    const refused = await service.request('POST', '/v1/cluster/actions/count', { to: 6 });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error_code: 'invalid_request' });
    expect((await service.request('POST', '/v1/cluster/actions/count', { to: 3 })).status).toBe(200);
    const done = await waitFor('the count to complete', async () => {
      const run = await service.json<Run & { to: number }>('/v1/cluster/actions/count');
      return run.status === 'completed' ? run : undefined;
    });
    expect(done).toMatchObject({ to: 3, progress: 100, step: 'count 3', result: { counted: 3 } });
  });

  it.each([
    [
      'a module that cannot be loaded',
      () => plugin('broken.js', ["import 'no-such-package-for-cluster-actions';"]),
      /^cluster-actions: Extension module '\/.*\/broken\.js' \(EXTENSION_MODULES\) cannot be loaded: Cannot find package 'no-such-package-for-cluster-actions'/,
    ],
    [
      'a path that does not exist',
      () => './no/such/plugin.js',
      /^cluster-actions: Extension module '\.\/no\/such\/plugin\.js' \(EXTENSION_MODULES\) cannot be loaded: Cannot find module/,
    ],
    [
      'a package that is not installed',
      () => 'cluster-actions-no-such-plugin',
      /^cluster-actions: Extension module 'cluster-actions-no-such-plugin' \(EXTENSION_MODULES\) cannot be loaded: Cannot find package/,
    ],
    [
      'a module without a Nest module as its default export',
      () => plugin('no-module.js', ['export default class NotAModule {}']),
      /^cluster-actions: Extension module '.*no-module\.js' \(EXTENSION_MODULES\) has no Nest module as its default export/,
    ],
    [
      'a handler that breaks the registry rules',
      () =>
        plugin('shadows.js', [
          "import { Module } from '@nestjs/common';",
          "import { ClusterAction, ClusterActionHandler } from 'cluster-actions';",
          'class Shadow extends ClusterActionHandler { run() { return Promise.resolve(); } }',
          "ClusterAction({ name: 'change_master' })(Shadow);",
          'export default class ShadowModule {}',
          'Module({ providers: [Shadow] })(ShadowModule);',
        ]),
      // Both handlers are named (Nest finds the plugin's first).
      /^cluster-actions: Module ClusterModule, @ClusterAction on ChangeMasterHandler: action 'change_master' is already registered by another handler \(Module ShadowModule, @ClusterAction on Shadow\)\.$/,
    ],
  ])('%s stops the start-up: one line naming the module, exit 1', async (_case, specifier, message) => {
    const service = new BuiltService({
      PORT: '0',
      DATABASE_URL: 'memory:',
      ADMIN_EMAIL: ADMIN[0],
      ADMIN_PASSWORD: ADMIN[1],
      EXTENSION_MODULES: specifier(),
    });
    expect(await service.exitWithin(10_000)).toEqual({ code: 1, signal: null });
    const lines = service.output.split('\n').filter((line) => line.startsWith('cluster-actions: '));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(service.output).not.toMatch(/^\s+at /m);
  });
});
