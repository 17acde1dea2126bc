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
    expect(config.clusterNodes).toEqual({
      kind: 'local',
      nodes: [
        { uid: 1, status: 'active' },
        { uid: 2, status: 'active' },
        { uid: 3, status: 'active' },
      ],
    });
    expect(config.redis).toEqual({
      pollMs: 1000,
      commandTimeoutMs: 1000,
      stepTimeoutMs: 10_000,
      failoverTimeoutMs: 5000,
    });
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
    expect(config.clusterNodes).toEqual({
      kind: 'local',
      nodes: [
        { uid: 4, status: 'down' },
        { uid: 5, status: 'active' },
        { uid: 6, status: 'provisioning' },
      ],
    });
  });

  it('reads Redis URLs, keeping credentials out of the address', () => {
    const config = new AppConfig({
      CLUSTER_NODES: 'redis://127.0.0.1:7001, rediss://ops:p%40ss@db.example:7002,redis://[::1]',
      NODE_POLL_MS: '200',
      REDIS_COMMAND_TIMEOUT_MS: '300',
      CHANGE_MASTER_STEP_TIMEOUT_MS: '4000',
      CHANGE_MASTER_FAILOVER_TIMEOUT_MS: '2000',
    });
    expect(config.clusterNodes).toEqual({
      kind: 'redis',
      nodes: [
        { addr: '127.0.0.1:7001', host: '127.0.0.1', port: 7001, tls: false },
        {
          addr: 'db.example:7002',
          host: 'db.example',
          port: 7002,
          username: 'ops',
          password: 'p@ss',
          tls: true,
        },
        { addr: '[::1]:6379', host: '[::1]', port: 6379, tls: false },
      ],
    });
    expect(config.redis).toEqual({
      pollMs: 200,
      commandTimeoutMs: 300,
      stepTimeoutMs: 4000,
      failoverTimeoutMs: 2000,
    });
  });

  it.each([
    ['redis://127.0.0.1:7001,2', /mixes Redis URLs with plain node uids/],
    ['redis://127.0.0.1:7001,redis://127.0.0.1:7001', /a Redis address appears twice/],
    ['http://u:secret@127.0.0.1:7001', /scheme must be redis:\/\/ or rediss:\/\//],
    ['redis://u:secret@127.0.0.1:7001/2', /must be redis:\/\/\[user:password@\]host:port/],
    ['redis://u:secret@127.0.0.1:99999', /entry 1 is not a valid URL/],
  ])('refuses CLUSTER_NODES=%s without echoing credentials', (nodes, message) => {
    expect(() => new AppConfig({ CLUSTER_NODES: nodes })).toThrow(message);
    expect(() => new AppConfig({ CLUSTER_NODES: nodes })).not.toThrow(/secret/);
  });

  it.each([
    ['PORT', 'eighty', /Invalid PORT: 'eighty'/],
    ['PORT', '70000', /Invalid PORT/],
    ['PORT', '-1', /Invalid PORT/],
    ['CHANGE_MASTER_STEP_MS', '1.5', /Invalid CHANGE_MASTER_STEP_MS/],
    ['NODE_POLL_MS', '5', /Invalid NODE_POLL_MS/],
    ['REDIS_COMMAND_TIMEOUT_MS', 'soon', /Invalid REDIS_COMMAND_TIMEOUT_MS/],
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
