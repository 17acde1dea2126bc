import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BuiltService, freePort, requireBuild } from '../support/built-service.js';

const ADMIN = ['admin@startup.local', 'startup-admin-password'] as const;

/** Each start-up failure ends in this long at most, however loaded the machine. */
const FAILS_WITHIN_MS = 10_000;

describe('start-up failures of the built service', () => {
  let folder: string;
  /** Where the store would go: nothing may be written there when the start-up fails before the store opens. */
  let store: string;
  let port: number;
  let blocker: Server | undefined;

  beforeAll(requireBuild);

  beforeEach(async () => {
    folder = mkdtempSync(join(tmpdir(), 'cluster-actions-startup-'));
    store = join(folder, 'state');
    port = await freePort();
  });

  afterEach(async () => {
    await BuiltService.killAll();
    await new Promise((resolve) => (blocker ? blocker.close(resolve) : resolve(undefined)));
    blocker = undefined;
    rmSync(folder, { recursive: true, force: true });
  });

  function start(env: Record<string, string>): BuiltService {
    return new BuiltService({
      PORT: String(port),
      DATABASE_URL: `sqlite:${join(store, 'ca.db')}`,
      ADMIN_EMAIL: ADMIN[0],
      ADMIN_PASSWORD: ADMIN[1],
      ...env,
    });
  }

  /** Exit 1 within FAILS_WITHIN_MS, one `cluster-actions:` line matching `message`, and no stack trace. */
  async function expectFailure(service: BuiltService, message: RegExp): Promise<string> {
    expect(await service.exitWithin(FAILS_WITHIN_MS)).toEqual({ code: 1, signal: null });
    const lines = service.output.split('\n').filter((line) => line.startsWith('cluster-actions: '));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(service.output).not.toMatch(/^\s+at /m);
    return lines[0];
  }

  function certificate(name: string, subject = '/CN=localhost'): [string, string] {
    const [cert, key] = [join(folder, `${name}.crt`), join(folder, `${name}.key`)];
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
        ...['-keyout', key, '-out', cert, '-days', '1', '-subj', subject],
      ],
      { stdio: 'ignore' },
    );
    return [cert, key];
  }

  it.each([
    [{ PORT: 'eighty' }, /^cluster-actions: Invalid PORT: 'eighty' is not a whole number/],
    [{ HOST: 'http://0.0.0.0' }, /^cluster-actions: Invalid HOST: /],
    [
      { TLS_CERT_FILE: 'cert.pem' },
      /^cluster-actions: Invalid TLS_KEY_FILE: it must be set together with TLS_CERT_FILE/,
    ],
    [{ DATABASE_URL: 'mysql://db/ca' }, /^cluster-actions: Invalid DATABASE_URL: /],
  ])('bad configuration %j: one line naming the variable, nothing written', async (env, message) => {
    await expectFailure(start(env), message);
    expect(existsSync(store)).toBe(false);
  });

  it('a port in use: one line naming PORT, before the store or the first admin is written', async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker!.listen(port, '127.0.0.1', resolve));
    await expectFailure(
      start({}),
      new RegExp(
        `^cluster-actions: Cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use .* set PORT`,
      ),
    );
    expect(existsSync(store)).toBe(false);
  });

  it('an address that is not local: one line naming HOST', async () => {
    // 192.0.2.0/24 is reserved for documentation: no machine has it.
    await expectFailure(
      start({ HOST: '192.0.2.1' }),
      /^cluster-actions: Cannot listen on 192\.0\.2\.1:\d+: .*Set HOST/,
    );
    expect(existsSync(store)).toBe(false);
  });

  it.each([
    ['a folder that cannot be created', '/proc/nope/ca.db', /mkdir '\/proc\/nope'/],
    ['a folder that is not writable', '/sys/ca.db', /EACCES: permission denied/],
  ])('a store path in %s: one line naming the file and DATABASE_URL', async (_, path, reason) => {
    const line = await expectFailure(
      start({ DATABASE_URL: `sqlite:${path}` }),
      new RegExp(`^cluster-actions: Cannot use the SQLite database ${path}: .*DATABASE_URL`),
    );
    expect(line).toMatch(reason);
  });

  it('a store file that is not a database: one line, the file left as it was', async () => {
    const notes = join(folder, 'notes.txt');
    const text = 'not a database '.repeat(200);
    writeFileSync(notes, text, { mode: 0o644 });
    await expectFailure(
      start({ DATABASE_URL: `sqlite:${notes}` }),
      /^cluster-actions: Cannot use the SQLite database .*notes\.txt: file is not a database\. .*DATABASE_URL/,
    );
    expect(readdirSync(folder)).toEqual(['notes.txt']);
    expect(readFileSync(notes, 'utf8')).toBe(text);
    expect(statSync(notes).mode & 0o777).toBe(0o644);
  });

  it('a store in use by another process: one line naming DATABASE_URL', async () => {
    const first = start({ LOG_LEVEL: 'log' });
    await first.waitForOutput(/Listening on http:/);
    port = await freePort();
    await expectFailure(
      start({}),
      /^cluster-actions: The database .*ca\.db is in use by another .*DATABASE_URL/,
    );
  });

  it.each([
    [
      'a certificate file that does not exist',
      () => ({ TLS_CERT_FILE: join(folder, 'missing.crt'), TLS_KEY_FILE: certificate('a')[1] }),
      /^cluster-actions: Cannot read TLS_CERT_FILE .*missing\.crt: ENOENT/,
    ],
    [
      'a certificate file that is not PEM',
      () => {
        writeFileSync(join(folder, 'garbage.crt'), 'not a certificate');
        return { TLS_CERT_FILE: join(folder, 'garbage.crt'), TLS_KEY_FILE: certificate('a')[1] };
      },
      /^cluster-actions: TLS_CERT_FILE .*garbage\.crt is not a PEM certificate: /,
    ],
    [
      'a key file that is not a key',
      () => ({ TLS_CERT_FILE: certificate('a')[0], TLS_KEY_FILE: certificate('a')[0] }),
      /^cluster-actions: TLS_KEY_FILE .*a\.crt is not a PEM private key/,
    ],
    [
      "another certificate's key",
      () => ({ TLS_CERT_FILE: certificate('a')[0], TLS_KEY_FILE: certificate('b')[1] }),
      /^cluster-actions: TLS_KEY_FILE .*b\.key is not the key of the certificate in TLS_CERT_FILE .*a\.crt\.$/,
    ],
  ])('%s: one line naming the TLS setting, nothing written', async (_, files, message) => {
    await expectFailure(start(files()), message);
    expect(existsSync(store)).toBe(false);
  });
});

describe('graceful stop of the built service', () => {
  let folder: string;

  beforeAll(requireBuild);

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'cluster-actions-stop-'));
  });

  afterEach(async () => {
    await BuiltService.killAll();
    rmSync(folder, { recursive: true, force: true });
  });

  async function startService(): Promise<[BuiltService, number]> {
    const port = await freePort();
    const service = new BuiltService({
      PORT: String(port),
      DATABASE_URL: `sqlite:${join(folder, 'ca.db')}`,
      ADMIN_EMAIL: ADMIN[0],
      ADMIN_PASSWORD: ADMIN[1],
      // Each change_master step takes a minute: the run is mid-way when the test stops the process.
      CHANGE_MASTER_STEP_MS: '60000',
      LOG_LEVEL: 'log',
    });
    await service.waitForOutput(/Listening on http:/);
    return [service, port];
  }

  it('logs that no run was in progress and how long the stop took', async () => {
    const [service] = await startService();
    service.kill('SIGTERM');
    expect(await service.exitWithin(FAILS_WITHIN_MS)).toEqual({ code: 0, signal: null });
    expect(service.output).toMatch(/Graceful stop on SIGTERM took \d+ ms: no run was in progress\./);
  });

  it('logs the run it interrupted and recorded aborted', async () => {
    const [service, port] = await startService();
    const authorization = `Basic ${Buffer.from(ADMIN.join(':')).toString('base64')}`;
    const started = await fetch(`http://127.0.0.1:${port}/v1/cluster/actions/change_master`, {
      method: 'POST',
      headers: { authorization },
      body: JSON.stringify({ node_uid: '2' }),
    });
    expect(started.status).toBe(200);
    // The handler's first step is under way once the run reads `running`.
    for (;;) {
      const response = await fetch(`http://127.0.0.1:${port}/v1/cluster/actions/change_master`, {
        headers: { authorization },
      });
      if (((await response.json()) as { status: string }).status === 'running') break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    service.kill('SIGINT');
    expect(await service.exitWithin(FAILS_WITHIN_MS)).toEqual({ code: 0, signal: null });
    expect(service.output).toMatch(
      /Graceful stop on SIGINT took \d+ ms: 0 run\(s\) finished, 1 stopped at a safe point and recorded aborted, 0 recorded aborted after the 10000 ms grace\./,
    );
  });
});
