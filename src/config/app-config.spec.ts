import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { AppConfig, ConfigError, describeDatabase } from './app-config.js';
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

  it('reads CLUSTER_NODES=replicas with its node address and timings, on PostgreSQL', () => {
    const database = { DATABASE_URL: 'postgres://ops@db.example:5432/cluster' };
    expect(new AppConfig({ ...database, CLUSTER_NODES: 'replicas', PORT: '8081' }).clusterNodes).toEqual({
      kind: 'replicas',
      addr: `${hostname()}:8081`,
      heartbeatMs: 1000,
      leaseMs: 5000,
    });
    const config = new AppConfig({
      ...database,
      CLUSTER_NODES: 'replicas',
      NODE_ADDR: '10.0.0.7:8080',
      NODE_HEARTBEAT_MS: '200',
      NODE_LEASE_MS: '600',
    });
    expect(config.clusterNodes).toEqual({
      kind: 'replicas',
      addr: '10.0.0.7:8080',
      heartbeatMs: 200,
      leaseMs: 600,
    });
  });

  it.each([
    [{ DATABASE_URL: '' }, /Invalid CLUSTER_NODES: 'replicas' needs a PostgreSQL DATABASE_URL/],
    [{ DATABASE_URL: 'memory:' }, /Invalid CLUSTER_NODES: 'replicas' needs a PostgreSQL DATABASE_URL/],
    [
      { NODE_HEARTBEAT_MS: '1000', NODE_LEASE_MS: '2000' },
      /Invalid NODE_LEASE_MS: 2000 must be at least 3 times/,
    ],
    [{ NODE_LEASE_MS: 'soon' }, /Invalid NODE_LEASE_MS: 'soon'/],
    [{ NODE_ADDR: 'two words:80' }, /Invalid NODE_ADDR/],
  ])('refuses CLUSTER_NODES=replicas with %j', (env, message) => {
    const database = { DATABASE_URL: 'postgres://ops@db.example:5432/cluster' };
    expect(() => new AppConfig({ ...database, CLUSTER_NODES: 'replicas', ...env })).toThrow(message);
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
    ['ADMIN_EMAIL', 'ops:team@example.com', /Invalid ADMIN_EMAIL: .* must not contain ':'/],
    ['ADMIN_EMAIL', '\uff41dmin@example.com', /Invalid ADMIN_EMAIL: .* must contain only ASCII/], // full-width a
    ['ADMIN_EMAIL', 'adm\u0131n@example.com', /Invalid ADMIN_EMAIL: .* must contain only ASCII/], // dotless i
    ['ADMIN_EMAIL', '\u00e1@example.com', /Invalid ADMIN_EMAIL: .* must contain only ASCII/], // composed á
    ['ADMIN_EMAIL', 'a\u0301@example.com', /Invalid ADMIN_EMAIL: .* must contain only ASCII/], // a + accent
    ['ADMIN_EMAIL', 'ops@ex ample.com', /Invalid ADMIN_EMAIL/],
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
    [
      'postgres://ca:secret@db.internal:5432/ca',
      {
        driver: 'postgres',
        url: 'postgres://ca:secret@db.internal:5432/ca',
        poolSize: 10,
        statementTimeoutMs: 5000,
      },
    ],
    [
      'postgresql://127.0.0.1/ca?sslmode=disable',
      {
        driver: 'postgres',
        url: 'postgresql://127.0.0.1/ca?sslmode=disable',
        poolSize: 10,
        statementTimeoutMs: 5000,
      },
    ],
  ])('reads DATABASE_URL=%j', (url, database) => {
    expect(new AppConfig({ DATABASE_URL: url }).database).toEqual(database);
  });

  it.each([
    'postgres:db',
    'postgres://',
    'mysql://db/ca',
    'sqlite:',
    'sqlite://ca.db',
    'memory',
    'MEMORY:',
    'file:ca.db',
  ])('refuses DATABASE_URL=%s with a start-up error naming the variable', (url) => {
    const build = (): AppConfig => new AppConfig({ DATABASE_URL: url });
    expect(build).toThrow(ConfigError);
    expect(build).toThrow(StartupError);
    expect(build).toThrow(/^Invalid DATABASE_URL: '.*' is not supported; use 'sqlite:<file path>'/);
    expect(build).toThrow(/'postgres:\/\/<user>@<host>:<port>\/<database>'/);
  });

  it.each([
    ['memory:', 'memory'],
    ['sqlite:/var/lib/ca.db', 'SQLite file /var/lib/ca.db'],
    ['postgres://ca:secret@db:5432/ca', 'PostgreSQL postgres://ca:***@db:5432/ca'],
    ['postgresql://ca@db/ca', 'PostgreSQL postgresql://ca@db/ca'],
  ])('describes DATABASE_URL=%s for the log without its password', (url, description) => {
    expect(describeDatabase(new AppConfig({ DATABASE_URL: url }).database)).toBe(description);
  });

  it('reads the PostgreSQL pool size and statement timeout', () => {
    const config = new AppConfig({
      DATABASE_URL: 'postgres://db/ca',
      DATABASE_POOL_SIZE: '3',
      DATABASE_STATEMENT_TIMEOUT_MS: '250',
    });
    expect(config.database).toMatchObject({ driver: 'postgres', poolSize: 3, statementTimeoutMs: 250 });
  });

  it.each([
    ['DATABASE_POOL_SIZE', '0'],
    ['DATABASE_POOL_SIZE', 'ten'],
    ['DATABASE_POOL_SIZE', '1001'],
    ['DATABASE_STATEMENT_TIMEOUT_MS', '99'],
    ['DATABASE_STATEMENT_TIMEOUT_MS', '1.5'],
  ])('refuses %s=%s with PostgreSQL', (name, value) => {
    expect(() => new AppConfig({ DATABASE_URL: 'postgres://db/ca', [name]: value })).toThrow(
      new RegExp(`^Invalid ${name}: '${value}' is not a whole number`),
    );
  });

  it('waits 10 s for running actions on a graceful stop unless SHUTDOWN_GRACE_MS says otherwise', () => {
    expect(new AppConfig({}).shutdownGraceMs).toBe(10_000);
    expect(new AppConfig({ SHUTDOWN_GRACE_MS: '0' }).shutdownGraceMs).toBe(0);
    expect(new AppConfig({ SHUTDOWN_GRACE_MS: '600000' }).shutdownGraceMs).toBe(600_000);
  });

  it.each(['-1', '1.5', 'soon', '600001'])('refuses SHUTDOWN_GRACE_MS=%s', (value) => {
    expect(() => new AppConfig({ SHUTDOWN_GRACE_MS: value })).toThrow(/^Invalid SHUTDOWN_GRACE_MS/);
  });

  it('keeps 1000 runs per action type for 90 days unless HISTORY_MAX_RUNS and HISTORY_MAX_AGE_DAYS say otherwise', () => {
    expect(new AppConfig({}).history).toEqual({ maxRuns: 1000, maxAgeDays: 90 });
    expect(new AppConfig({ HISTORY_MAX_RUNS: '1', HISTORY_MAX_AGE_DAYS: '36500' }).history).toEqual({
      maxRuns: 1,
      maxAgeDays: 36_500,
    });
  });

  it.each([
    ['HISTORY_MAX_RUNS', '0'],
    ['HISTORY_MAX_RUNS', '1000001'],
    ['HISTORY_MAX_RUNS', 'all'],
    ['HISTORY_MAX_AGE_DAYS', '0'],
    ['HISTORY_MAX_AGE_DAYS', '1.5'],
    ['HISTORY_MAX_AGE_DAYS', '36501'],
  ])('refuses %s=%s with one line naming it', (name, value) => {
    expect(() => new AppConfig({ [name]: value })).toThrow(
      new RegExp(`^Invalid ${name}: '${value}' is not a whole number`),
    );
  });
});

describe('AppConfig: HTTP limits and ALLOWED_ORIGINS', () => {
  it('has bounded defaults and no extra origin', () => {
    expect(new AppConfig({}).http).toEqual({
      headersTimeoutSeconds: 10,
      requestTimeoutSeconds: 30,
      maxConnections: 1000,
      allowedOrigins: new Set(),
      trustProxy: false,
    });
  });

  it.each([
    ['off', false],
    ['2', 2],
    ['loopback', ['loopback']],
    [
      '10.0.0.0/8, 192.0.2.7,fd00::/8,::1, uniquelocal',
      ['10.0.0.0/8', '192.0.2.7', 'fd00::/8', '::1', 'uniquelocal'],
    ],
  ])('reads TRUST_PROXY=%s', (raw, trustProxy) => {
    expect(new AppConfig({ TRUST_PROXY: raw }).http.trustProxy).toEqual(trustProxy);
  });

  it('reads every variable', () => {
    const config = new AppConfig({
      HEADERS_TIMEOUT_SECONDS: '5',
      REQUEST_TIMEOUT_SECONDS: '5',
      MAX_CONNECTIONS: '64',
      ALLOWED_ORIGINS: 'https://console.example.com, http://10.0.0.7:8080,http://[::1]:3000',
    });
    expect(config.http).toEqual({
      headersTimeoutSeconds: 5,
      requestTimeoutSeconds: 5,
      maxConnections: 64,
      allowedOrigins: new Set(['https://console.example.com', 'http://10.0.0.7:8080', 'http://[::1]:3000']),
      trustProxy: false,
    });
  });

  it.each([
    ['HEADERS_TIMEOUT_SECONDS', '0', /^Invalid HEADERS_TIMEOUT_SECONDS/],
    ['HEADERS_TIMEOUT_SECONDS', '1.5', /^Invalid HEADERS_TIMEOUT_SECONDS/],
    ['REQUEST_TIMEOUT_SECONDS', '5', /^Invalid REQUEST_TIMEOUT_SECONDS: 5 is shorter than HEADERS_TIMEOUT/],
    ['REQUEST_TIMEOUT_SECONDS', '3601', /^Invalid REQUEST_TIMEOUT_SECONDS/],
    ['MAX_CONNECTIONS', '0', /^Invalid MAX_CONNECTIONS/],
    ['MAX_CONNECTIONS', 'many', /^Invalid MAX_CONNECTIONS/],
    ['ALLOWED_ORIGINS', 'console.example.com', /^Invalid ALLOWED_ORIGINS: 'console.example.com'/],
    ['ALLOWED_ORIGINS', 'https://console.example.com/', /^Invalid ALLOWED_ORIGINS/],
    ['ALLOWED_ORIGINS', 'https://console.example.com/app', /^Invalid ALLOWED_ORIGINS/],
    ['ALLOWED_ORIGINS', 'https://Console.example.com', /^Invalid ALLOWED_ORIGINS/],
    ['ALLOWED_ORIGINS', 'https://console.example.com:443', /^Invalid ALLOWED_ORIGINS/],
    ['ALLOWED_ORIGINS', 'ftp://files.example.com', /^Invalid ALLOWED_ORIGINS/],
    ['ALLOWED_ORIGINS', 'null', /^Invalid ALLOWED_ORIGINS: 'null'/],
    ['ALLOWED_ORIGINS', 'https://a.example,,https://b.example', /^Invalid ALLOWED_ORIGINS: ''/],
    ['ALLOWED_ORIGINS', '*', /^Invalid ALLOWED_ORIGINS: '\*'/],
    ['TRUST_PROXY', '0', /^Invalid TRUST_PROXY: '0'/],
    ['TRUST_PROXY', 'true', /^Invalid TRUST_PROXY: 'true' is not a proxy address/],
    ['TRUST_PROXY', '10.0.0.0/33', /^Invalid TRUST_PROXY: '10.0.0.0\/33'/],
    ['TRUST_PROXY', 'fd00::/129', /^Invalid TRUST_PROXY: 'fd00::\/129'/],
    ['TRUST_PROXY', '10.0.0.1/8/8', /^Invalid TRUST_PROXY/],
    ['TRUST_PROXY', 'proxy.example.com', /^Invalid TRUST_PROXY: 'proxy.example.com'/],
    ['TRUST_PROXY', 'loopback,,10.0.0.1', /^Invalid TRUST_PROXY: ''/],
  ])('refuses %s=%s naming the variable', (name, value, message) => {
    expect(() => new AppConfig({ HEADERS_TIMEOUT_SECONDS: '10', [name]: value })).toThrow(message);
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

describe('AppConfig: EXTENSION_MODULES', () => {
  it('loads no extension unless EXTENSION_MODULES names some, in the order given', () => {
    expect(new AppConfig({}).extensionModules).toEqual([]);
    expect(
      new AppConfig({ EXTENSION_MODULES: ' ./plugins/snapshot.js , @team/cluster-actions-backup ' })
        .extensionModules,
    ).toEqual(['./plugins/snapshot.js', '@team/cluster-actions-backup']);
  });

  it.each([
    ['a,,b', /^Invalid EXTENSION_MODULES: 'a,,b' has an empty entry/],
    ['./a.js,', /has an empty entry/],
    ['./a.js,./a.js', /^Invalid EXTENSION_MODULES: a module appears twice\.$/],
  ])('refuses EXTENSION_MODULES=%s', (value, message) => {
    expect(() => new AppConfig({ EXTENSION_MODULES: value })).toThrow(message);
  });
});
