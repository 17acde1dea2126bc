import type { Action } from '../../src/cli/api-client.js';
import { BuiltService } from '../support/built-service.js';
import { connectionEnv, requireCliBuild, runCli } from '../support/cli.js';
import { requireBuild, ServiceProcess, waitFor } from '../support/service-process.js';

// `start --dry-run` and `start --idempotency-key` against the service's `?dry_run=true` and `Idempotency-Key`.
const ADMIN: readonly [string, string] = ['admin@cli-options.local', 'cli-options-password'];

interface DryRunBody {
  readonly dry_run: boolean;
  readonly would_start: boolean;
  readonly blockers: readonly { readonly error_code: string; readonly description: string }[];
}

const startService = (stepMs: string) =>
  ServiceProcess.start(
    {
      DATABASE_URL: 'memory:',
      ADMIN_EMAIL: ADMIN[0],
      ADMIN_PASSWORD: ADMIN[1],
      CHANGE_MASTER_STEP_MS: stepMs,
      LOG_LEVEL: 'warn',
      LOG_REQUESTS: 'off',
    },
    ADMIN,
  );

const parse = <T>(stdout: string): T => JSON.parse(stdout) as T;

describe('cluster-actions start --dry-run and --idempotency-key (built CLI, built service)', () => {
  /** Runs complete in moments. */
  let fast: ServiceProcess;
  /** Runs stay in their first step for a minute. */
  let slow: ServiceProcess;

  beforeAll(async () => {
    requireBuild();
    requireCliBuild();
    fast = await startService('100');
    slow = await startService('60000');
  });

  afterAll(() => BuiltService.killAll());

  it('--dry-run with nothing in the way: exit 0, would_start, and no run started', async () => {
    const env = connectionEnv(slow, ADMIN);
    const json = await runCli(['start', 'change_master', 'node_uid=2', '--dry-run', '--json'], env);
    expect(json.code).toBe(0);
    expect(parse<DryRunBody>(json.stdout)).toMatchObject({ dry_run: true, would_start: true, blockers: [] });
    const text = await runCli(['start', 'change_master', 'node_uid=2', '--dry-run'], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^change_master would start$/m);
    expect((await slow.request('GET', '/v1/cluster/actions/change_master')).status).toBe(404);
  });

  it('--dry-run while a run is active: exit 3 with the blockers printed', async () => {
    const env = connectionEnv(slow, ADMIN);
    expect((await runCli(['start', 'change_master', 'node_uid=2'], env)).code).toBe(0);
    const json = await runCli(['start', 'change_master', 'node_uid=3', '--dry-run', '--json'], env);
    expect(json.code).toBe(3);
    const answer = parse<DryRunBody>(json.stdout);
    expect(answer.would_start).toBe(false);
    expect(answer.blockers.map((blocker) => blocker.error_code)).toContain('action_in_progress');
    const text = await runCli(['start', 'change_master', 'node_uid=3', '--dry-run'], env);
    expect(text.code).toBe(3);
    expect(text.stdout).toMatch(/^change_master would not start\n {2}blocked: action_in_progress: /m);
    await slow.request('DELETE', '/v1/cluster/actions/change_master');
    await waitFor(
      'the run to be cancelled',
      async () =>
        (await slow.json<Action>('/v1/cluster/actions/change_master')).status === 'cancelled' || undefined,
    );
  });

  it('--dry-run with --wait is a usage error', async () => {
    const { code } = await runCli(
      ['start', 'change_master', 'node_uid=2', '--dry-run', '--wait'],
      connectionEnv(fast, ADMIN),
    );
    expect(code).toBe(64);
  });

  it('--idempotency-key: a retry answers the first run; the key with other params is refused 422 (exit 3)', async () => {
    const env = connectionEnv(fast, ADMIN);
    const start = (node: string) =>
      runCli(
        [
          'start',
          'change_master',
          `node_uid=${node}`,
          '--idempotency-key',
          'cli-retry-1',
          '--wait',
          '--json',
        ],
        env,
      );
    const first = await start('2');
    expect(first.code).toBe(0);
    const run = parse<Action>(first.stdout);
    expect(run.status).toBe('completed');

    const retry = await start('2');
    expect(retry.code).toBe(0);
    expect(parse<Action>(retry.stdout)).toMatchObject({
      action_uid: run.action_uid,
      status: 'completed',
    });

    const reused = await start('3');
    expect(reused.code).toBe(3);
    expect(reused.stderr).toMatch(/422 idempotency_key_reused: /);
    expect((await fast.json<Action>('/v1/cluster/actions/change_master')).action_uid).toBe(run.action_uid);
  });
});
