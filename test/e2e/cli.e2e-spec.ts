import { execFile } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Action } from '../../src/cli/api-client.js';
import { BuiltService } from '../support/built-service.js';
import { CLI, CliProcess, connectionEnv, requireCliBuild, runCli, Terminal } from '../support/cli.js';
import { requireBuild, ServiceProcess, waitFor } from '../support/service-process.js';

const ADMIN: readonly [string, string] = ['admin@cli.local', 'cli-admin-password'];

/** The built service in memory, its change_master steps `stepMs` long. */
const startService = (env: Record<string, string>) =>
  ServiceProcess.start(
    {
      DATABASE_URL: 'memory:',
      ADMIN_EMAIL: ADMIN[0],
      ADMIN_PASSWORD: ADMIN[1],
      LOG_LEVEL: 'warn',
      LOG_REQUESTS: 'off',
      ...env,
    },
    ADMIN,
  );

const parse = <T>(stdout: string): T => JSON.parse(stdout) as T;
const currentRun = (service: ServiceProcess) => service.json<Action>('/v1/cluster/actions/change_master');

async function masterOf(service: ServiceProcess): Promise<string | undefined> {
  const status = await service.json<Record<string, { role: string }>>('/v1/nodes/status');
  return Object.keys(status).find((uid) => status[uid].role === 'master');
}

/** A slave of `service`'s current topology, to move the master to. */
async function otherNode(service: ServiceProcess): Promise<string> {
  const master = await masterOf(service);
  return ['1', '2', '3'].find((uid) => uid !== master) ?? '2';
}

/**
 * A proxy in front of `service` that fails every event stream with 502 (as some proxies do), so the CLI has to
 * poll; everything else is passed through.
 */
async function startStreamlessProxy(service: ServiceProcess): Promise<{ url: string; close: () => void }> {
  const proxy = http.createServer((request, response) => {
    if (request.url?.split('?')[0].endsWith('/events')) {
      response.writeHead(502, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error_code: 'bad_gateway', description: 'no streams here' }));
      return;
    }
    const upstream = http.request(
      {
        host: '127.0.0.1',
        port: service.port,
        path: request.url,
        method: request.method,
        headers: request.headers,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    request.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const { port } = proxy.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => proxy.close() };
}

describe('the cluster-actions CLI (built) against the built service', () => {
  /** Runs complete in moments. */
  let fast: ServiceProcess;
  /** Runs stay in their first step (a minute), to be cancelled, waited on or refused. */
  let slow: ServiceProcess;
  /** Runs fail: their timeout is shorter than a step. */
  let failing: ServiceProcess;
  let env: Record<string, string>;

  beforeAll(async () => {
    requireBuild();
    requireCliBuild();
    // One after the other: three booting at once on a busy machine can each miss ServiceProcess's deadline.
    fast = await startService({ CHANGE_MASTER_STEP_MS: '200' });
    slow = await startService({ CHANGE_MASTER_STEP_MS: '60000' });
    failing = await startService({ CHANGE_MASTER_STEP_MS: '60000', CHANGE_MASTER_TIMEOUT_MS: '300' });
    env = connectionEnv(fast, ADMIN);
  });

  afterAll(() => BuiltService.killAll());

  describe('usage', () => {
    it.each([
      [[]],
      [['list']],
      [['get']],
      [['start']],
      [['cancel']],
      [['wait']],
      [['watch']],
      [['history']],
      [['nodes']],
      [['users']],
      [['users', 'list']],
      [['users', 'create']],
      [['users', 'update']],
      [['users', 'delete']],
    ])('%j --help documents the command and exits 0', async (words) => {
      const { code, stdout } = await runCli([...words, '--help'], {});
      expect(code).toBe(0);
      expect(stdout).toMatch(/^Usage: cluster-actions/);
      if (words.length && words[0] !== 'users') expect(stdout).toContain('--json');
    });

    it('--version prints the package version', async () => {
      const { code, stdout } = await runCli(['--version'], {});
      expect(code).toBe(0);
      expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    });

    it('runs as `npx cluster-actions` from the checkout, as the README says: the built bin is executable', async () => {
      expect(() => accessSync(CLI, constants.X_OK)).not.toThrow();
      const { stdout } = await promisify(execFile)('npx', ['--no-install', 'cluster-actions', '--version'], {
        cwd: fileURLToPath(new URL('../..', import.meta.url)),
      });
      expect(stdout.trim()).toBe(
        (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version,
      );
    });

    it.each([
      [['frobnicate'], /unknown command/],
      [['list', '--bogus'], /unknown option/],
      [['get'], /missing required argument/],
      [['users'], /Usage/],
      [['start', 'change_master', 'node_uid'], /not key=value/],
      [['start', 'change_master', 'n:=nope'], /takes JSON/],
      [['wait', 'change_master', '--timeout', '-1'], /seconds/],
      [['history', 'change_master', '--limit', '0'], /whole number/],
      [['start', 'change_master', '--timeout', '5'], /go with --wait/],
      [['users', 'update', '1'], /nothing to change/],
      [['list', '--url', 'ftp://example.com'], /not an http/],
    ])('%j is a usage error: exit 64, the reason on stderr, nothing on stdout', async (words, reason) => {
      const { code, stdout, stderr } = await runCli(words, env);
      expect(code).toBe(64);
      expect(stderr).toMatch(reason);
      expect(stdout).toBe('');
    });

    it('without a terminal, missing credentials are a usage error naming where to give them', async () => {
      const noPassword = { CLUSTER_ACTIONS_URL: env.CLUSTER_ACTIONS_URL, CLUSTER_ACTIONS_USER: ADMIN[0] };
      const { code, stderr } = await runCli(['list'], noPassword);
      expect(code).toBe(64);
      expect(stderr).toContain('CLUSTER_ACTIONS_PASSWORD');
    });

    it('takes the connection from flags as well as from the environment', async () => {
      const { code, stdout } = await runCli(
        ['nodes', '--json', '--url', env.CLUSTER_ACTIONS_URL, '--user', ADMIN[0], '--password', ADMIN[1]],
        {},
      );
      expect(code).toBe(0);
      expect(parse<unknown[]>(stdout)).toHaveLength(3);
    });
  });

  describe('reading', () => {
    it('nodes: the node objects with their roles, the master marked', async () => {
      const json = await runCli(['nodes', '--json'], env);
      expect(json.code).toBe(0);
      const nodes = parse<{ uid: number; role: string; status: string }[]>(json.stdout);
      expect(nodes.map((node) => node.uid)).toEqual([1, 2, 3]);
      expect(nodes.filter((node) => node.role === 'master')).toEqual([
        expect.objectContaining({ uid: Number(await masterOf(fast)) }),
      ]);
      const text = await runCli(['nodes'], env);
      expect(text.stdout).toMatch(new RegExp(`^${await masterOf(fast)} .* master \\*`, 'm'));
    });

    it('list, get and history show what the service answers', async () => {
      const target = await otherNode(fast);
      const started = await runCli(['start', 'change_master', `node_uid=${target}`, '--wait', '--json'], env);
      expect(started.code).toBe(0);
      const run = parse<Action>(started.stdout);

      const list = await runCli(['list', '--json'], env);
      expect(list.code).toBe(0);
      expect(parse<Action[]>(list.stdout)).toContainEqual(
        expect.objectContaining({ action_uid: run.action_uid }),
      );
      expect((await runCli(['list'], env)).stdout).toMatch(
        /^NAME +STATUS[^\n]*\nchange_master +completed +100%/,
      );

      const get = await runCli(['get', 'change_master', '--json'], env);
      expect(parse<Action>(get.stdout)).toEqual(await currentRun(fast));
      expect((await runCli(['get', 'change_master'], env)).stdout).toMatch(
        new RegExp(`^action_uid: +${run.action_uid}$`, 'm'),
      );

      const history = await runCli(['history', 'change_master', '--json', '--limit', '1'], env);
      expect(history.code).toBe(0);
      const page = parse<{ actions: Action[]; next_cursor: string | null }>(history.stdout);
      expect(page.actions.map((action) => action.action_uid)).toEqual([run.action_uid]);
      const text = await runCli(['history', 'change_master', '--status', 'completed'], env);
      expect(text.stdout).toContain(run.action_uid);
    });

    it('refusals exit 3 with the error code and description on stderr, nothing on stdout', async () => {
      const unknownNode = await runCli(['start', 'change_master', 'node_uid=9', '--json'], env);
      expect(unknownNode).toEqual({
        code: 3,
        stdout: '',
        stderr: expect.stringMatching(/404 node_not_found: .*9/),
      });
      const wrongPassword = await runCli(['list'], { ...env, CLUSTER_ACTIONS_PASSWORD: 'wrong-password' });
      expect(wrongPassword.code).toBe(3);
      expect(wrongPassword.stderr).toMatch(/401 unauthorized/);
      const unknownType = await runCli(['watch', 'no_such_action'], env);
      expect(unknownType.code).toBe(3);
      expect(unknownType.stderr).toContain('unknown_action');
    });
  });

  describe('following a run', () => {
    it('start --wait without a terminal prints one line per change, ending completed at 100%', async () => {
      const target = await otherNode(fast);
      const { code, stdout, stderr } = await runCli(
        ['start', 'change_master', `node_uid=${target}`, '--wait'],
        env,
      );
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      const lines = stdout.trim().split('\n');
      expect(new Set(lines).size).toBe(lines.length);
      expect(lines[0]).toBe('change_master queued 0%');
      expect(lines).toContain('change_master running 33% sync_configuration');
      expect(lines.at(-1)).toBe('change_master completed 100% switch_master');
      expect(await masterOf(fast)).toBe(target);
    });

    it('without event streams (a proxy failing them) start --wait and watch poll instead', async () => {
      const proxy = await startStreamlessProxy(fast);
      try {
        const viaProxy = { ...env, CLUSTER_ACTIONS_URL: proxy.url };
        const started = await runCli(
          ['start', 'change_master', `node_uid=${await otherNode(fast)}`, '--wait'],
          viaProxy,
        );
        expect(started.code).toBe(0);
        expect(started.stdout.trim().split('\n').at(-1)).toBe('change_master completed 100% switch_master');

        const watch = new CliProcess(['watch', 'change_master', '--json'], viaProxy);
        // The run above is shown first: watching has begun.
        await watch.waitForStdout(/change_master/);
        const next = await fast.request('POST', '/v1/cluster/actions/change_master', {
          node_uid: await otherNode(fast),
        });
        const { action_uid } = (await next.json()) as Action;
        await watch.waitForStdout(new RegExp(`"action_uid":"${action_uid}".*"status":"completed"`));
        watch.interrupt();
        expect((await watch.done).code).toBe(0);
      } finally {
        proxy.close();
      }
    });

    it('wait on a finished run answers at once with its exit code', async () => {
      const { code, stdout } = await runCli(['wait', 'change_master', '--json'], env);
      expect(code).toBe(0);
      expect(parse<Action>(stdout)).toMatchObject({ status: 'completed', progress: 100 });
    });

    it('a failed run exits 1', async () => {
      const failingEnv = connectionEnv(failing, ADMIN);
      const { code, stdout } = await runCli(
        ['start', 'change_master', 'node_uid=2', '--wait', '--json'],
        failingEnv,
      );
      expect(code).toBe(1);
      expect(parse<Action>(stdout)).toMatchObject({ status: 'failed', error_code: 'timeout' });
    });

    it('watch --json prints every change of the runs as JSON lines until Ctrl-C, which exits 0', async () => {
      const watch = new CliProcess(['watch', '--json'], env);
      // The last run is shown first: the stream is open.
      await watch.waitForStdout(/change_master/);
      const started = (await (
        await fast.request('POST', '/v1/cluster/actions/change_master', {
          node_uid: await otherNode(fast),
        })
      ).json()) as Action;
      await watch.waitForStdout(new RegExp(`"action_uid":"${started.action_uid}".*"status":"completed"`));
      watch.interrupt();
      const { code, stdout } = await watch.done;
      expect(code).toBe(0);
      const statuses = stdout
        .trim()
        .split('\n')
        .map((line) => parse<Action>(line))
        .filter((action) => action.action_uid === started.action_uid)
        .map((action) => action.status);
      expect(statuses[0]).toBe('queued');
      expect(statuses).toContain('running');
      expect(statuses.at(-1)).toBe('completed');
    });
  });

  describe('a run that stays in its first step', () => {
    let slowEnv: Record<string, string>;

    beforeAll(() => {
      slowEnv = connectionEnv(slow, ADMIN);
    });

    async function startSlowRun(): Promise<Action> {
      const { code, stdout } = await runCli(['start', 'change_master', 'node_uid=2', '--json'], slowEnv);
      expect(code).toBe(0);
      const run = parse<Action>(stdout);
      expect(run.status).toBe('queued');
      await waitFor('the run to be running', async () =>
        (await currentRun(slow)).status === 'running' ? true : undefined,
      );
      return run;
    }

    async function untilCancelled(): Promise<void> {
      await waitFor('the run to be cancelled', async () =>
        (await currentRun(slow)).status === 'cancelled' ? true : undefined,
      );
    }

    it('a second start is refused 409 (exit 3); cancel ends the waiter with exit 2', async () => {
      const run = await startSlowRun();
      const again = await runCli(['start', 'change_master', 'node_uid=3'], slowEnv);
      expect(again.code).toBe(3);
      expect(again.stderr).toMatch(/409 action_in_progress: /);

      const waiter = new CliProcess(['wait', 'change_master', '--json'], slowEnv);
      const cancel = await runCli(['cancel', 'change_master', '--json'], slowEnv);
      expect(cancel.code).toBe(0);
      expect(parse<Action>(cancel.stdout)).toMatchObject({ action_uid: run.action_uid });
      const waited = await waiter.done;
      expect(waited.code).toBe(2);
      expect(parse<Action>(waited.stdout)).toMatchObject({
        action_uid: run.action_uid,
        status: 'cancelled',
      });
    });

    it('--timeout stops waiting on a run still active: exit 5 with its state', async () => {
      await startSlowRun();
      const { code, stdout, stderr } = await runCli(
        ['wait', 'change_master', '--timeout', '0.5', '--json'],
        slowEnv,
      );
      expect(code).toBe(5);
      expect(parse<Action>(stdout).status).toBe('running');
      expect(stderr).toContain('Still running after 0.5 s');
      await runCli(['cancel', 'change_master'], slowEnv);
      await untilCancelled();
    });

    it('Ctrl-C stops waiting (exit 130) and leaves the run going; with --cancel-on-interrupt it cancels', async () => {
      const run = await startSlowRun();
      const waiter = new CliProcess(['wait', 'change_master'], slowEnv);
      await waiter.waitForStdout(/change_master running/);
      waiter.interrupt();
      const stopped = await waiter.done;
      expect(stopped.code).toBe(130);
      expect(stopped.stderr).toContain('stopped waiting; the run goes on');
      expect(await currentRun(slow)).toMatchObject({ action_uid: run.action_uid, status: 'running' });

      const canceller = new CliProcess(['wait', 'change_master', '--cancel-on-interrupt'], slowEnv);
      await canceller.waitForStdout(/change_master running/);
      canceller.interrupt();
      expect((await canceller.done).code).toBe(130);
      await untilCancelled();
      expect(await currentRun(slow)).toMatchObject({ action_uid: run.action_uid, cancelled_by: ADMIN[0] });
    });
  });

  describe('users', () => {
    it('create (password from stdin), list, update by email, delete; the new user signs in with the CLI', async () => {
      const email = 'viewer@cli.local';
      const created = await runCli(
        ['users', 'create', email, '--role', 'cluster_viewer', '--name', 'Viewer', '--json'],
        env,
        'viewer-password-1\n',
      );
      expect(created.code).toBe(0);
      const user = parse<{ uid: number; email: string; role: string }>(created.stdout);
      expect(user).toMatchObject({ email, role: 'cluster_viewer' });

      const list = await runCli(['users', 'list', '--json'], env);
      expect(parse<{ email: string }[]>(list.stdout).map((u) => u.email)).toContain(email);

      const viewerEnv = {
        ...env,
        CLUSTER_ACTIONS_USER: email,
        CLUSTER_ACTIONS_PASSWORD: 'viewer-password-1',
      };
      expect((await runCli(['list', '--json'], viewerEnv)).code).toBe(0);
      const refused = await runCli(['start', 'change_master', 'node_uid=2'], viewerEnv);
      expect(refused.code).toBe(3);
      expect(refused.stderr).toContain('403 insufficient_permissions');

      const updated = await runCli(
        ['users', 'update', email, '--name', 'Renamed', '--set-password', '--json'],
        env,
        'viewer-password-2\n',
      );
      expect(updated.code).toBe(0);
      expect(parse<{ name: string }>(updated.stdout).name).toBe('Renamed');
      const newPassword = { ...viewerEnv, CLUSTER_ACTIONS_PASSWORD: 'viewer-password-2' };
      expect((await runCli(['nodes'], newPassword)).code).toBe(0);

      const deleted = await runCli(['users', 'delete', String(user.uid), '--json'], env);
      expect(deleted.code).toBe(0);
      expect(parse<{ uid: number }>(deleted.stdout).uid).toBe(user.uid);
      const gone = await runCli(['users', 'delete', email], env);
      expect(gone.code).toBe(3);
    });
  });

  describe('on a terminal (tmux)', () => {
    let terminal: Terminal | undefined;

    afterEach(() => terminal?.close());

    it('start --wait draws a progress bar with the step and elapsed time, reaching 100%', async () => {
      const target = await otherNode(fast);
      terminal = await Terminal.run(['start', 'change_master', `node_uid=${target}`, '--wait'], env);
      const screens = new Set<string>();
      const screen = await terminal.waitForScreen(/EXIT=\d+/, (seen) => screens.add(seen));
      expect(screen).toMatch(/change_master \[█{30}\] 100% \| completed \| switch_master \| \d+s/);
      expect(screen).toContain('EXIT=0');
      expect(await masterOf(fast)).toBe(target);
    });

    it('watch shows the bar of a run started elsewhere; Ctrl-C ends it with exit 0', async () => {
      terminal = await Terminal.run(['watch', 'change_master'], env);
      await terminal.waitForScreen(/change_master \[/);
      const started = await fast.request('POST', '/v1/cluster/actions/change_master', {
        node_uid: await otherNode(fast),
      });
      expect(started.status).toBe(200);
      await terminal.waitForScreen(/100% \| completed/);
      await terminal.type('C-c');
      expect(await terminal.waitForScreen(/EXIT=\d+/)).toContain('EXIT=0');
    });

    it('asks for the password without echoing it', async () => {
      const { CLUSTER_ACTIONS_PASSWORD: password, ...withoutPassword } = env;
      terminal = await Terminal.run(['nodes'], withoutPassword);
      await terminal.waitForScreen(new RegExp(`Password for ${ADMIN[0]}:`));
      await terminal.type(password, 'Enter');
      const screen = await terminal.waitForScreen(/EXIT=\d+/);
      expect(screen).toContain('EXIT=0');
      expect(screen).toMatch(/master \*/);
      expect(screen).not.toContain(password);
    });
  });

  it('a stopped service exits 4', async () => {
    const stoppedEnv = connectionEnv(failing, ADMIN);
    await failing.stop('SIGTERM');
    const { code, stderr } = await runCli(['list'], stoppedEnv);
    expect(code).toBe(4);
    expect(stderr).toMatch(/Cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
  });
});
