import { resolve } from 'node:path';
import { AppConfig, ConfigError } from './app-config.js';
import { StartupError } from './startup-error.js';

describe('AppConfig', () => {
  it('has working defaults', () => {
    const config = new AppConfig({});
    expect(config).toMatchObject({
      port: 8080,
      database: { driver: 'sqlite', path: resolve('data/cluster-actions.db') },
      shutdownGraceMs: 10_000,
      changeMasterStepMs: 500,
      logLevel: 'log',
      adminEmail: undefined,
      adminPassword: undefined,
    });
    expect(config.clusterNodes).toEqual([
      { uid: 1, status: 'active' },
      { uid: 2, status: 'active' },
      { uid: 3, status: 'active' },
    ]);
  });

  it('reads every variable', () => {
    const config = new AppConfig({
      PORT: '9000',
      ADMIN_EMAIL: 'ops@example.com',
      ADMIN_PASSWORD: 'long-enough',
      CLUSTER_NODES: '4:down, 5 ,6:provisioning',
      CHANGE_MASTER_STEP_MS: '0',
      LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({
      port: 9000,
      adminEmail: 'ops@example.com',
      adminPassword: 'long-enough',
      changeMasterStepMs: 0,
      logLevel: 'debug',
    });
    expect(config.clusterNodes).toEqual([
      { uid: 4, status: 'down' },
      { uid: 5, status: 'active' },
      { uid: 6, status: 'provisioning' },
    ]);
  });

  it.each([
    ['PORT', 'eighty', /Invalid PORT: 'eighty'/],
    ['PORT', '70000', /Invalid PORT/],
    ['PORT', '-1', /Invalid PORT/],
    ['CHANGE_MASTER_STEP_MS', '1.5', /Invalid CHANGE_MASTER_STEP_MS/],
    ['LOG_LEVEL', 'loud', /Invalid LOG_LEVEL: 'loud' is not one of fatal, error, warn, log, debug, verbose/],
    ['ADMIN_EMAIL', 'not-an-email', /Invalid ADMIN_EMAIL/],
    ['ADMIN_PASSWORD', 'short', /Invalid ADMIN_PASSWORD: it must be at least 8 characters/],
    ['CLUSTER_NODES', '1,x', /Invalid CLUSTER_NODES: 'x'/],
    ['CLUSTER_NODES', '1:sleeping', /Invalid CLUSTER_NODES: '1:sleeping': status must be one of/],
    ['CLUSTER_NODES', '1,1', /a node uid appears twice/],
    ['CLUSTER_NODES', '1:down,2:down', /at least one node must be active/],
    ['CLUSTER_NODES', '0', /positive uid/],
    ['CLUSTER_NODES', '1:active:extra', /Invalid CLUSTER_NODES/],
  ])('refuses %s=%s naming the variable', (name, value, message) => {
    expect(() => new AppConfig({ [name]: value })).toThrow(message);
  });
});

describe('AppConfig: DATABASE_URL and SHUTDOWN_GRACE_MS', () => {
  it.each([
    [undefined, { driver: 'sqlite', path: resolve('data/cluster-actions.db') }],
    ['', { driver: 'sqlite', path: resolve('data/cluster-actions.db') }],
    ['memory:', { driver: 'memory' }],
    ['sqlite:/var/lib/ca.db', { driver: 'sqlite', path: '/var/lib/ca.db' }],
    ['sqlite:./state/ca.db', { driver: 'sqlite', path: resolve('state/ca.db') }],
    ['sqlite:ca.db', { driver: 'sqlite', path: resolve('ca.db') }],
  ])('reads DATABASE_URL=%j', (url, database) => {
    expect(new AppConfig({ DATABASE_URL: url }).database).toEqual(database);
  });

  it.each(['postgres://db/ca', 'sqlite:', 'sqlite://ca.db', 'memory', 'MEMORY:', 'file:ca.db'])(
    'refuses DATABASE_URL=%s with a start-up error naming the variable',
    (url) => {
      const build = (): AppConfig => new AppConfig({ DATABASE_URL: url });
      expect(build).toThrow(ConfigError);
      expect(build).toThrow(StartupError);
      expect(build).toThrow(/^Invalid DATABASE_URL: '.*' is not supported; use 'sqlite:<file path>'/);
    },
  );

  it('waits 10 s for running actions on a graceful stop unless SHUTDOWN_GRACE_MS says otherwise', () => {
    expect(new AppConfig({}).shutdownGraceMs).toBe(10_000);
    expect(new AppConfig({ SHUTDOWN_GRACE_MS: '0' }).shutdownGraceMs).toBe(0);
    expect(new AppConfig({ SHUTDOWN_GRACE_MS: '600000' }).shutdownGraceMs).toBe(600_000);
  });

  it.each(['-1', '1.5', 'soon', '600001'])('refuses SHUTDOWN_GRACE_MS=%s', (value) => {
    expect(() => new AppConfig({ SHUTDOWN_GRACE_MS: value })).toThrow(/^Invalid SHUTDOWN_GRACE_MS/);
  });
});

describe('AppConfig: HOST and TLS files', () => {
  it('listens on loopback over plain HTTP by default', () => {
    const config = new AppConfig({});
    expect(config.host).toBe('127.0.0.1');
    expect(config.tls).toBeUndefined();
  });

  it.each(['0.0.0.0', '::', '::1', '10.1.2.3', 'localhost', 'api.example.internal'])(
    'reads HOST=%s',
    (host) => {
      expect(new AppConfig({ HOST: host }).host).toBe(host);
    },
  );

  it.each(['http://0.0.0.0', '0.0.0.0:8080', 'two words', '-bad-'])('refuses HOST=%s', (host) => {
    expect(() => new AppConfig({ HOST: host })).toThrow(
      /^Invalid HOST: '.*' is not an IP address or a host name/,
    );
  });

  it('reads both TLS files, relative to the working directory', () => {
    expect(new AppConfig({ TLS_CERT_FILE: 'tls/cert.pem', TLS_KEY_FILE: '/etc/ca/key.pem' }).tls).toEqual({
      certFile: resolve('tls/cert.pem'),
      keyFile: '/etc/ca/key.pem',
    });
  });

  it.each([
    [{ TLS_CERT_FILE: 'cert.pem' }, /^Invalid TLS_KEY_FILE: it must be set together with TLS_CERT_FILE/],
    [
      { TLS_KEY_FILE: 'key.pem', TLS_CERT_FILE: ' ' },
      /^Invalid TLS_CERT_FILE: it must be set together with TLS_KEY_FILE/,
    ],
  ])('refuses one TLS file without the other: %j', (env, message) => {
    expect(() => new AppConfig(env)).toThrow(message);
  });
});
