import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { Agent, get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { BuiltService, freePort, requireBuild } from '../support/built-service.js';

const ADMIN = ['admin@tls.local', 'tls-admin-password'] as const;
const PLAIN_HTTP_WARNING = /"level":40.*Serving plain HTTP on .*clear text/;

interface Answer {
  readonly status: number;
  /** SHA-256 fingerprint of the certificate the server presented on this connection. */
  readonly fingerprint: string;
  readonly reusedSocket: boolean;
  readonly socket: Socket;
}

/** GET /v1/nodes/status over HTTPS, trusting only `ca` (the client verifies the chain and the host name). */
function getNodes(port: number, ca: Buffer | undefined, agent?: Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = httpsGet(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/nodes/status',
        auth: ADMIN.join(':'),
        ca,
        agent: agent ?? false,
        timeout: 10_000,
      },
      (response) => {
        // Read before the end: a keep-alive socket goes back to its agent then.
        const socket = response.socket as TLSSocket;
        const answer: Answer = {
          status: response.statusCode ?? 0,
          fingerprint: socket.getPeerCertificate().fingerprint256,
          reusedSocket: request.reusedSocket,
          socket,
        };
        response.resume();
        response.on('end', () => resolve(answer));
      },
    );
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', reject);
  });
}

describe('HTTPS from TLS_CERT_FILE and TLS_KEY_FILE (built service)', () => {
  let folder: string;
  let certFile: string;
  let keyFile: string;

  beforeAll(requireBuild);

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'cluster-actions-tls-'));
    [certFile, keyFile] = [join(folder, 'tls.crt'), join(folder, 'tls.key')];
  });

  afterEach(async () => {
    await BuiltService.killAll();
    rmSync(folder, { recursive: true, force: true });
  });

  /** A self-signed certificate for 127.0.0.1 and localhost, written to `<name>.crt` / `<name>.key`. */
  function generate(name: string): { cert: Buffer; fingerprint: string; files: [string, string] } {
    const files: [string, string] = [join(folder, `${name}.crt`), join(folder, `${name}.key`)];
    execFileSync(
      'openssl',
      [
        ...[
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-days',
          '1',
        ],
        ...['-keyout', files[1], '-out', files[0], '-subj', `/CN=${name}`],
        ...['-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
      ],
      { stdio: 'ignore' },
    );
    const cert = readFileSync(files[0]);
    return { cert, fingerprint: new X509Certificate(cert).fingerprint256, files };
  }

  /** Replaces the served files as renewal tools do: each written aside, then renamed over the old one. */
  function install({ files: [cert, key] }: { files: [string, string] }): void {
    renameSync(key, keyFile);
    renameSync(cert, certFile);
  }

  async function start(env: Record<string, string>): Promise<[BuiltService, number]> {
    const port = await freePort();
    const service = new BuiltService({
      PORT: String(port),
      DATABASE_URL: 'memory:',
      ADMIN_EMAIL: ADMIN[0],
      ADMIN_PASSWORD: ADMIN[1],
      LOG_LEVEL: 'log',
      ...env,
    });
    await service.waitForOutput(/Listening on /);
    return [service, port];
  }

  it('serves the API over HTTPS to a client that verifies the certificate, and no warning', async () => {
    const first = generate('first');
    install(first);
    const [service, port] = await start({ HOST: '0.0.0.0', TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile });
    expect(service.output).toContain(`Listening on https://0.0.0.0:${port}`);

    const answer = await getNodes(port, first.cert);
    expect(answer).toMatchObject({ status: 200, fingerprint: first.fingerprint });
    // A client that does not trust the certificate refuses the connection: the certificate is really checked.
    await expect(getNodes(port, undefined)).rejects.toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    await expect(getNodes(port, generate('other').cert)).rejects.toMatchObject({
      code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    });
    expect(service.output).not.toMatch(PLAIN_HTTP_WARNING);
  });

  it('reloads the certificate on SIGHUP and on a change of the files, keeping open connections', async () => {
    const [first, second, third] = [generate('first'), generate('second'), generate('third')];
    install(first);
    const [service, port] = await start({ TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile });
    const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const before = await getNodes(port, first.cert, keepAlive);
      expect(before).toMatchObject({ status: 200, fingerprint: first.fingerprint, reusedSocket: false });

      install(second);
      service.kill('SIGHUP');
      await service.waitForOutput(/Reloaded the TLS certificate \(SIGHUP\): CN=second/);
      // The open connection survives the reload, still with the certificate it was opened with.
      const reused = await getNodes(port, first.cert, keepAlive);
      expect(reused).toMatchObject({ status: 200, fingerprint: first.fingerprint, reusedSocket: true });
      expect(reused.socket).toBe(before.socket);
      // New connections get the new certificate; one trusting only the old one is refused.
      expect(await getNodes(port, second.cert)).toMatchObject({
        status: 200,
        fingerprint: second.fingerprint,
      });
      await expect(getNodes(port, first.cert)).rejects.toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });

      // No signal this time: the service notices the replaced files.
      install(third);
      await service.waitForOutput(/Reloaded the TLS certificate \(the files changed\): CN=third/);
      expect(await getNodes(port, third.cert)).toMatchObject({ status: 200, fingerprint: third.fingerprint });
      expect(await getNodes(port, first.cert, keepAlive)).toMatchObject({ status: 200, reusedSocket: true });
    } finally {
      keepAlive.destroy();
    }
  });

  it('keeps the current certificate when the new files cannot be served', async () => {
    const [first, second] = [generate('first'), generate('second')];
    install(first);
    const [service, port] = await start({ TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile });
    // Half a renewal: the new certificate without its key.
    renameSync(second.files[0], certFile);
    service.kill('SIGHUP');
    await service.waitForOutput(
      /"level":40.*Kept the current TLS certificate \(SIGHUP\): TLS_KEY_FILE .* is not the key/,
    );
    expect(await getNodes(port, first.cert)).toMatchObject({ status: 200, fingerprint: first.fingerprint });
  });
});

describe('plain HTTP (built service)', () => {
  beforeAll(requireBuild);

  afterEach(() => BuiltService.killAll());

  async function start(host: string): Promise<BuiltService> {
    const service = new BuiltService({
      HOST: host,
      PORT: String(await freePort()),
      DATABASE_URL: 'memory:',
      ADMIN_EMAIL: ADMIN[0],
      ADMIN_PASSWORD: ADMIN[1],
      LOG_LEVEL: 'log',
    });
    await service.waitForOutput(/Listening on http:/);
    return service;
  }

  it('warns at start-up when it listens beyond loopback', async () => {
    const service = await start('0.0.0.0');
    expect(service.output).toMatch(PLAIN_HTTP_WARNING);
    expect(service.output).toMatch(/TLS_CERT_FILE and TLS_KEY_FILE .* HOST=127\.0\.0\.1/);
  });

  it.each(['127.0.0.1', 'localhost'])('does not warn on loopback (HOST=%s)', async (host) => {
    const service = await start(host);
    expect(service.output).not.toMatch(PLAIN_HTTP_WARNING);
  });
});
