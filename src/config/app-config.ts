import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { emailCharacterProblem } from '../auth/user.js';
import { NODE_STATUSES, type NodeStatus } from '../cluster/node.js';
import { StartupError } from './startup-error.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface InitialNode {
  readonly uid: number;
  readonly status: NodeStatus;
}

/** A Redis server of the managed replication group, from a `redis://` or `rediss://` URL. */
export interface RedisNodeConfig {
  /** `host:port`: the node's name in responses and logs (never the credentials). */
  readonly addr: string;
  readonly host: string;
  readonly port: number;
  readonly username?: string;
  readonly password?: string;
  /** `rediss://`: connect over TLS. */
  readonly tls: boolean;
}

/**
 * CLUSTER_NODES: plain uids select the simulated topology, URLs a live Redis replication group. The nodes
 * of a Redis group get uids 1, 2, 3... in the order given on first start.
 */
export type ClusterNodesConfig =
  | { readonly kind: 'local'; readonly nodes: readonly InitialNode[] }
  | { readonly kind: 'redis'; readonly nodes: readonly RedisNodeConfig[] }
  | ({ readonly kind: 'replicas' } & ReplicaNodeConfig);

/** CLUSTER_NODES=replicas: this replica as a node of the cluster its replicas form. */
export interface ReplicaNodeConfig {
  /** NODE_ADDR: where other replicas and clients reach this replica; its node uid is keyed by it. */
  readonly addr: string;
  /** NODE_HEARTBEAT_MS: how often the replica says it is alive and the primary renews its lease. */
  readonly heartbeatMs: number;
  /** NODE_LEASE_MS: a node whose heartbeat is older is `down`; a primary that did not renew for this long is replaced. */
  readonly leaseMs: number;
}

/** The Redis adapter's timings. */
export interface RedisTimings {
  /** How often every node is observed (INFO replication). */
  readonly pollMs: number;
  /** The longest any one Redis call (connect included) may take. */
  readonly commandTimeoutMs: number;
  /** The longest each change_master step may wait for the servers (sync, switch, re-pointing, verification). */
  readonly stepTimeoutMs: number;
  /** FAILOVER's TIMEOUT: the longest the master pauses writes waiting for the target to catch up. */
  readonly failoverTimeoutMs: number;
}

/**
 * Where the state lives: a SQLite file (absolute path), a PostgreSQL database that several replicas can share,
 * or process memory (nothing survives a restart).
 */
export type DatabaseConfig =
  | { readonly driver: 'sqlite'; readonly path: string }
  | {
      readonly driver: 'postgres';
      readonly url: string;
      /** Connections this process keeps to the database at most (DATABASE_POOL_SIZE). */
      readonly poolSize: number;
      /** The longest one statement may run before the database cancels it (DATABASE_STATEMENT_TIMEOUT_MS). */
      readonly statementTimeoutMs: number;
    }
  | { readonly driver: 'memory' };

/** A database URL fit for a log line: its password, if any, masked. */
export function redactedUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.href;
}

/** The store in a few words, for the start-up log line. */
export function describeDatabase(database: DatabaseConfig): string {
  switch (database.driver) {
    case 'sqlite':
      return `SQLite file ${database.path}`;
    case 'postgres':
      return `PostgreSQL ${redactedUrl(database.url)}`;
    case 'memory':
      return 'memory';
  }
}

/** The certificate chain and private key (PEM files) served over HTTPS. */
export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

/** The file used when DATABASE_URL is unset, relative to the working directory. */
export const DEFAULT_SQLITE_FILE = 'data/cluster-actions.db';

/** What a client may hold of the HTTP server, and whose pages may send it state-changing requests. */
export interface HttpSettings {
  /** How long a client may take to send a request's headers. */
  readonly headersTimeoutSeconds: number;
  /** How long a client may take to send a whole request, headers and body. */
  readonly requestTimeoutSeconds: number;
  /** Open connections beyond this are closed as soon as they are accepted. */
  readonly maxConnections: number;
  /** Origins (`https://host[:port]`) besides the service's own whose pages may send state-changing requests. */
  readonly allowedOrigins: ReadonlySet<string>;
  /** Which proxies may name the client in X-Forwarded-For (TRUST_PROXY). */
  readonly trustProxy: TrustProxy;
}

/**
 * The proxies trusted to say who the client is, in the forms of Express's `trust proxy`: none (false: the client
 * is the socket's peer), the number of proxy hops in front of the service, or the proxies' addresses and CIDR
 * ranges (and Express's names loopback, linklocal, uniquelocal).
 */
export type TrustProxy = false | number | readonly string[];

/** How much run history the retention sweep keeps; older or surplus finished runs are deleted. */
export interface HistoryRetention {
  /** Runs kept per action type (HISTORY_MAX_RUNS), the latest included. */
  readonly maxRuns: number;
  /** Finished runs created longer ago than this are deleted (HISTORY_MAX_AGE_DAYS), unless latest of their type. */
  readonly maxAgeDays: number;
}

/** A bad environment variable: start-up stops with this message. */
export class ConfigError extends StartupError {
  constructor(variable: string, problem: string) {
    super(`Invalid ${variable}: ${problem}`);
  }
}

/** The service's settings, read from the environment and validated once at start-up. */
export class AppConfig {
  readonly port: number;
  /** The listen address. Loopback by default: plain HTTP carries Basic credentials in clear text. */
  readonly host: string;
  /** HTTPS when set (TLS_CERT_FILE and TLS_KEY_FILE), plain HTTP otherwise. */
  readonly tls?: TlsFiles;
  readonly database: DatabaseConfig;
  readonly adminEmail?: string;
  readonly adminPassword?: string;
  readonly clusterNodes: ClusterNodesConfig;
  /** The simulated topology's step duration. */
  readonly changeMasterStepMs: number;
  /** A change_master run still going after this long ends `failed` with `timeout` (unless past its point of no return). */
  readonly changeMasterTimeoutMs: number;
  readonly redis: RedisTimings;
  readonly logLevel: LogLevel;
  /**
   * How long a run's owner holds it without renewing (renewed every third of it). A run whose lease ran out is
   * recovered as lost: the bound on how long a run can look active after its process or its store failed.
   */
  readonly actionLeaseMs: number;
  /** Whether the audit trail is written (AUDIT_LOG=on|off). */
  readonly auditLog: boolean;
  /** How many runs execute at once in this process; more wait `queued`. */
  readonly maxConcurrentRuns: number;
  /** Failed logins allowed per user and client address in a window (four times as many per address). */
  readonly loginFailureLimit: number;
  /** The failed-login window, and so the longest a throttled client waits. */
  readonly loginThrottleSeconds: number;
  /** How long a graceful stop waits for running actions to reach a safe point before recording them aborted. */
  readonly shutdownGraceMs: number;
  readonly http: HttpSettings;
  /**
   * How long a graceful stop keeps serving, with /ready answering 503, before it closes the port: the time a
   * load balancer needs to see the replica unready and stop sending it requests.
   */
  readonly shutdownDrainMs: number;
  /** Whether /metrics is served and requests are measured (METRICS=on|off). */
  readonly metrics: boolean;
  /** JSON lines, or pino-pretty's text for people (LOG_FORMAT=json|pretty). */
  readonly logFormat: 'json' | 'pretty';
  /** Whether each request is logged at `log` level when it ends (LOG_REQUESTS=on|off). */
  readonly logRequests: boolean;
  /** Whether the OpenAPI document (/docs-json) and Swagger UI (/docs) are served (OPENAPI=on|off). */
  readonly openApi: boolean;
  readonly history: HistoryRetention;
  /**
   * Nest modules imported at start-up to add action types (EXTENSION_MODULES): package names, or paths relative
   * to the working directory (starting with `./`, `../` or `/`), in the order given.
   */
  readonly extensionModules: readonly string[];

  constructor(env: Readonly<Record<string, string | undefined>>) {
    this.port = integer(env, 'PORT', 8080, 0, 65535);
    this.host = host(env);
    this.tls = tlsFiles(env);
    this.database = database(env);
    this.adminEmail = adminEmail(env);
    this.adminPassword = adminPassword(env);
    this.clusterNodes = clusterNodes(env, this.database, this.port);
    this.changeMasterStepMs = integer(env, 'CHANGE_MASTER_STEP_MS', 500, 0, 60 * 60 * 1000);
    this.changeMasterTimeoutMs = integer(
      env,
      'CHANGE_MASTER_TIMEOUT_MS',
      10 * 60 * 1000,
      100,
      24 * 60 * 60 * 1000,
    );
    this.redis = {
      pollMs: integer(env, 'NODE_POLL_MS', 1000, 20, 60 * 1000),
      commandTimeoutMs: integer(env, 'REDIS_COMMAND_TIMEOUT_MS', 1000, 10, 60 * 1000),
      stepTimeoutMs: integer(env, 'CHANGE_MASTER_STEP_TIMEOUT_MS', 10_000, 10, 60 * 60 * 1000),
      failoverTimeoutMs: integer(env, 'CHANGE_MASTER_FAILOVER_TIMEOUT_MS', 5000, 10, 60 * 60 * 1000),
    };
    this.logLevel = oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'log');
    this.shutdownGraceMs = integer(env, 'SHUTDOWN_GRACE_MS', 10_000, 0, 10 * 60 * 1000);
    this.actionLeaseMs = integer(env, 'ACTION_LEASE_MS', 30_000, 300, 60 * 60 * 1000);
    this.auditLog = oneOf(env, 'AUDIT_LOG', ['on', 'off'], 'on') === 'on';
    this.maxConcurrentRuns = integer(env, 'MAX_CONCURRENT_RUNS', 8, 1, 1000);
    this.loginFailureLimit = integer(env, 'LOGIN_FAILURE_LIMIT', 5, 1, 1000);
    this.loginThrottleSeconds = integer(env, 'LOGIN_THROTTLE_SECONDS', 60, 1, 24 * 60 * 60);
    this.http = httpSettings(env);
    this.shutdownDrainMs = integer(env, 'SHUTDOWN_DRAIN_MS', 0, 0, 10 * 60 * 1000);
    this.metrics = oneOf(env, 'METRICS', ['on', 'off'], 'on') === 'on';
    this.logFormat = oneOf(env, 'LOG_FORMAT', ['json', 'pretty'], 'json');
    this.logRequests = oneOf(env, 'LOG_REQUESTS', ['on', 'off'], 'on') === 'on';
    this.openApi = oneOf(env, 'OPENAPI', ['on', 'off'], 'on') === 'on';
    this.history = {
      maxRuns: integer(env, 'HISTORY_MAX_RUNS', 1000, 1, 1_000_000),
      maxAgeDays: integer(env, 'HISTORY_MAX_AGE_DAYS', 90, 1, 36_500),
    };
    this.extensionModules = extensionModules(env);
  }
}

function extensionModules(env: Readonly<Record<string, string | undefined>>): string[] {
  const raw = value(env, 'EXTENSION_MODULES');
  if (raw === undefined) return [];
  const specifiers = raw.split(',').map((entry) => entry.trim());
  if (specifiers.includes('')) {
    throw new ConfigError(
      'EXTENSION_MODULES',
      `'${raw}' has an empty entry; give comma-separated package names or paths (e.g. './plugins/snapshot.js').`,
    );
  }
  if (new Set(specifiers).size !== specifiers.length) {
    throw new ConfigError('EXTENSION_MODULES', 'a module appears twice.');
  }
  return specifiers;
}

function value(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw === '' ? undefined : raw;
}

function integer(
  env: Readonly<Record<string, string | undefined>>,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(name, `'${raw}' is not a whole number from ${min} to ${max}.`);
  }
  return Number(raw);
}

function oneOf<T extends string>(
  env: Readonly<Record<string, string | undefined>>,
  name: string,
  allowed: readonly T[],
  fallback: T,
): T {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `'${raw}' is not one of ${allowed.join(', ')}.`);
  }
  return raw as T;
}

export const DEFAULT_HOST = '127.0.0.1';

/** An IP address, or a host name that resolves to the addresses to listen on (e.g. `localhost`). */
function host(env: Readonly<Record<string, string | undefined>>): string {
  const raw = value(env, 'HOST');
  if (raw === undefined) return DEFAULT_HOST;
  if (
    isIP(raw) === 0 &&
    !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(raw)
  ) {
    throw new ConfigError(
      'HOST',
      `'${raw}' is not an IP address or a host name (e.g. 127.0.0.1, 0.0.0.0 for every IPv4 interface, or ::).`,
    );
  }
  return raw;
}

/** Both files or neither: one alone is a mistake, not a request for plain HTTP. */
function tlsFiles(env: Readonly<Record<string, string | undefined>>): TlsFiles | undefined {
  const certFile = value(env, 'TLS_CERT_FILE');
  const keyFile = value(env, 'TLS_KEY_FILE');
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) {
    const [missing, set] =
      certFile === undefined ? ['TLS_CERT_FILE', 'TLS_KEY_FILE'] : ['TLS_KEY_FILE', 'TLS_CERT_FILE'];
    throw new ConfigError(missing, `it must be set together with ${set} (both for HTTPS, neither for HTTP).`);
  }
  return { certFile: resolve(certFile), keyFile: resolve(keyFile) };
}

const SQLITE_SCHEME = 'sqlite:';
const POSTGRES_URL = /^postgres(ql)?:\/\/[^\s]+$/;

/**
 * Unset: the default SQLite file. `sqlite:<path>`: that file (relative to the working directory or absolute).
 * `postgres://...` or `postgresql://...`: that PostgreSQL database (a libpq connection URL).
 */
function database(env: Readonly<Record<string, string | undefined>>): DatabaseConfig {
  const raw = value(env, 'DATABASE_URL');
  if (raw === undefined) return { driver: 'sqlite', path: resolve(DEFAULT_SQLITE_FILE) };
  if (raw === 'memory:') return { driver: 'memory' };
  if (POSTGRES_URL.test(raw)) {
    return {
      driver: 'postgres',
      url: raw,
      poolSize: integer(env, 'DATABASE_POOL_SIZE', 10, 1, 1000),
      statementTimeoutMs: integer(env, 'DATABASE_STATEMENT_TIMEOUT_MS', 5000, 100, 10 * 60 * 1000),
    };
  }
  const path = raw.startsWith(SQLITE_SCHEME) ? raw.slice(SQLITE_SCHEME.length) : undefined;
  // `sqlite://x` would silently mean the absolute path `//x`: refuse the URL-like form instead of guessing.
  if (!path || path.startsWith('//')) {
    throw new ConfigError(
      'DATABASE_URL',
      `'${raw}' is not supported; use 'sqlite:<file path>' (e.g. 'sqlite:./data/cluster-actions.db' or ` +
        `'sqlite:/var/lib/cluster-actions.db'), 'postgres://<user>@<host>:<port>/<database>' (PostgreSQL, ` +
        `for several replicas) or 'memory:' (nothing is kept).`,
    );
  }
  return { driver: 'sqlite', path: resolve(path) };
}

/** The first admin's email: the same characters as any user's (see emailCharacterProblem). */
function adminEmail(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const raw = value(env, 'ADMIN_EMAIL');
  if (raw === undefined) return undefined;
  if (!/^[^@]+@[^@]+$/.test(raw)) throw new ConfigError('ADMIN_EMAIL', `'${raw}' is not an email address.`);
  const problem = emailCharacterProblem(raw);
  if (problem) throw new ConfigError('ADMIN_EMAIL', `'${raw}' ${problem}.`);
  return raw;
}

export const MIN_PASSWORD_LENGTH = 8;

function adminPassword(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const raw = env.ADMIN_PASSWORD;
  if (raw !== undefined && raw !== '' && raw.length < MIN_PASSWORD_LENGTH) {
    throw new ConfigError('ADMIN_PASSWORD', `it must be at least ${MIN_PASSWORD_LENGTH} characters long.`);
  }
  return raw || undefined;
}

function clusterNodes(
  env: Readonly<Record<string, string | undefined>>,
  database: DatabaseConfig,
  port: number,
): ClusterNodesConfig {
  if (value(env, 'CLUSTER_NODES') === 'replicas') return replicaNode(env, database, port);
  const entries = (value(env, 'CLUSTER_NODES') ?? '1,2,3').split(',').map((entry) => entry.trim());
  const urls = entries.filter((entry) => /^[a-z][a-z0-9+.-]*:\/\//i.test(entry));
  if (urls.length === 0) return { kind: 'local', nodes: localNodes(entries) };
  if (urls.length !== entries.length) {
    throw new ConfigError(
      'CLUSTER_NODES',
      'mixes Redis URLs with plain node uids; use one form or the other.',
    );
  }
  const nodes = entries.map(redisNode);
  if (new Set(nodes.map((node) => node.addr)).size !== nodes.length) {
    throw new ConfigError('CLUSTER_NODES', 'a Redis address appears twice.');
  }
  return { kind: 'redis', nodes };
}

/** The replicas are the cluster: only on a store they share, so that they can see one another. */
function replicaNode(
  env: Readonly<Record<string, string | undefined>>,
  database: DatabaseConfig,
  port: number,
): ClusterNodesConfig {
  if (database.driver !== 'postgres') {
    throw new ConfigError(
      'CLUSTER_NODES',
      "'replicas' needs a PostgreSQL DATABASE_URL shared by every replica (postgres://...).",
    );
  }
  const heartbeatMs = integer(env, 'NODE_HEARTBEAT_MS', 1000, 20, 60 * 1000);
  const leaseMs = integer(env, 'NODE_LEASE_MS', 5000, 100, 10 * 60 * 1000);
  // Two heartbeats may fail or run late before a live primary loses its lease.
  if (leaseMs < 3 * heartbeatMs) {
    throw new ConfigError(
      'NODE_LEASE_MS',
      `${leaseMs} must be at least 3 times NODE_HEARTBEAT_MS (${heartbeatMs}).`,
    );
  }
  const addr = value(env, 'NODE_ADDR') ?? `${hostname()}:${port}`;
  if (addr.length > 255 || /\s/.test(addr)) {
    throw new ConfigError('NODE_ADDR', 'must be host:port, without spaces, at most 255 characters.');
  }
  return { kind: 'replicas', addr, heartbeatMs, leaseMs };
}

/** `redis://[user:password@]host[:port]` or `rediss://...`; errors name the entry without its credentials. */
function redisNode(entry: string, index: number): RedisNodeConfig {
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    throw new ConfigError('CLUSTER_NODES', `entry ${index + 1} is not a valid URL.`);
  }
  const port = url.port === '' ? 6379 : Number(url.port);
  const addr = `${url.hostname}:${port}`;
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new ConfigError(
      'CLUSTER_NODES',
      `entry ${index + 1} (${addr}): the scheme must be redis:// or rediss://.`,
    );
  }
  if (!url.hostname || (url.pathname !== '' && url.pathname !== '/') || url.search || url.hash) {
    throw new ConfigError(
      'CLUSTER_NODES',
      `entry ${index + 1} (${addr}) must be redis://[user:password@]host:port.`,
    );
  }
  return {
    addr,
    host: url.hostname,
    port,
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    tls: url.protocol === 'rediss:',
  };
}

function localNodes(entries: readonly string[]): InitialNode[] {
  const nodes = entries.map((entry): InitialNode => {
    const [uid, status = 'active', ...rest] = entry.split(':');
    if (!/^[1-9]\d{0,8}$/.test(uid ?? '') || rest.length > 0) {
      throw new ConfigError('CLUSTER_NODES', `'${entry}' is not 'uid' or 'uid:status' with a positive uid.`);
    }
    if (!(NODE_STATUSES as readonly string[]).includes(status)) {
      throw new ConfigError(
        'CLUSTER_NODES',
        `'${entry}': status must be one of ${NODE_STATUSES.join(', ')}.`,
      );
    }
    return { uid: Number(uid), status: status as NodeStatus };
  });
  if (new Set(nodes.map((node) => node.uid)).size !== nodes.length) {
    throw new ConfigError('CLUSTER_NODES', 'a node uid appears twice.');
  }
  if (!nodes.some((node) => node.status === 'active')) {
    throw new ConfigError('CLUSTER_NODES', 'at least one node must be active to be the master.');
  }
  return nodes;
}

function httpSettings(env: Readonly<Record<string, string | undefined>>): HttpSettings {
  const headersTimeoutSeconds = integer(env, 'HEADERS_TIMEOUT_SECONDS', 10, 1, 10 * 60);
  const requestTimeoutSeconds = integer(env, 'REQUEST_TIMEOUT_SECONDS', 30, 1, 60 * 60);
  if (requestTimeoutSeconds < headersTimeoutSeconds) {
    throw new ConfigError(
      'REQUEST_TIMEOUT_SECONDS',
      `${requestTimeoutSeconds} is shorter than HEADERS_TIMEOUT_SECONDS (${headersTimeoutSeconds}).`,
    );
  }
  return {
    headersTimeoutSeconds,
    requestTimeoutSeconds,
    maxConnections: integer(env, 'MAX_CONNECTIONS', 1000, 1, 1_000_000),
    allowedOrigins: allowedOrigins(env),
    trustProxy: trustProxy(env),
  };
}

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * `off`, a hop count, or comma-separated addresses, CIDR ranges and names. Express's `true` (trust every hop) is
 * not offered: any client could then name itself in X-Forwarded-For.
 */
function trustProxy(env: Readonly<Record<string, string | undefined>>): TrustProxy {
  const raw = value(env, 'TRUST_PROXY');
  if (raw === undefined || raw === 'off') return false;
  if (/^\d+$/.test(raw)) return integer(env, 'TRUST_PROXY', 0, 1, 100);
  return raw.split(',').map((entry) => {
    const proxy = entry.trim();
    const [address = '', prefix, ...rest] = proxy.split('/');
    const bits = isIP(address) === 4 ? 32 : 128;
    const valid =
      PROXY_NAMES.includes(proxy) ||
      (isIP(address) !== 0 &&
        rest.length === 0 &&
        (prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits)));
    if (!valid) {
      throw new ConfigError(
        'TRUST_PROXY',
        `'${proxy}' is not a proxy address, a CIDR range or one of ${PROXY_NAMES.join(', ')} ` +
          `(TRUST_PROXY is off, a hop count, or a comma-separated list of those, e.g. '10.0.0.0/8,loopback').`,
      );
    }
    return proxy;
  });
}

/** Each entry exactly as a browser sends it in `Origin`: scheme, host and port only, lower case. */
function allowedOrigins(env: Readonly<Record<string, string | undefined>>): ReadonlySet<string> {
  const raw = value(env, 'ALLOWED_ORIGINS');
  if (raw === undefined) return new Set();
  return new Set(
    raw.split(',').map((entry) => {
      const origin = entry.trim();
      if (
        !URL.canParse(origin) ||
        !/^https?:$/.test(new URL(origin).protocol) ||
        new URL(origin).origin !== origin
      ) {
        throw new ConfigError(
          'ALLOWED_ORIGINS',
          `'${origin}' is not an origin as browsers send it, e.g. 'https://console.example.com:8443' ` +
            `(http or https, lower case, no path or trailing slash).`,
        );
      }
      return origin;
    }),
  );
}
