import { resolve } from 'node:path';
import { NODE_STATUSES, type NodeStatus } from '../cluster/node.js';
import { StartupError } from './startup-error.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface InitialNode {
  readonly uid: number;
  readonly status: NodeStatus;
}

/** Where the state lives: a SQLite file (absolute path), or process memory (nothing survives a restart). */
export type DatabaseConfig =
  { readonly driver: 'sqlite'; readonly path: string } | { readonly driver: 'memory' };

/** The file used when DATABASE_URL is unset, relative to the working directory. */
export const DEFAULT_SQLITE_FILE = 'data/cluster-actions.db';

/** A bad environment variable: start-up stops with this message. */
export class ConfigError extends StartupError {
  constructor(variable: string, problem: string) {
    super(`Invalid ${variable}: ${problem}`);
  }
}

/** The service's settings, read from the environment and validated once at start-up. */
export class AppConfig {
  readonly port: number;
  readonly database: DatabaseConfig;
  readonly adminEmail?: string;
  readonly adminPassword?: string;
  readonly clusterNodes: readonly InitialNode[];
  readonly changeMasterStepMs: number;
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

  constructor(env: Readonly<Record<string, string | undefined>>) {
    this.port = integer(env, 'PORT', 8080, 0, 65535);
    this.database = database(env);
    this.adminEmail = adminEmail(env);
    this.adminPassword = adminPassword(env);
    this.clusterNodes = clusterNodes(env);
    this.changeMasterStepMs = integer(env, 'CHANGE_MASTER_STEP_MS', 500, 0, 60 * 60 * 1000);
    this.logLevel = oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'log');
    this.shutdownGraceMs = integer(env, 'SHUTDOWN_GRACE_MS', 10_000, 0, 10 * 60 * 1000);
    this.actionLeaseMs = integer(env, 'ACTION_LEASE_MS', 30_000, 300, 60 * 60 * 1000);
    this.auditLog = oneOf(env, 'AUDIT_LOG', ['on', 'off'], 'on') === 'on';
    this.maxConcurrentRuns = integer(env, 'MAX_CONCURRENT_RUNS', 8, 1, 1000);
    this.loginFailureLimit = integer(env, 'LOGIN_FAILURE_LIMIT', 5, 1, 1000);
    this.loginThrottleSeconds = integer(env, 'LOGIN_THROTTLE_SECONDS', 60, 1, 24 * 60 * 60);
    this.shutdownDrainMs = integer(env, 'SHUTDOWN_DRAIN_MS', 0, 0, 10 * 60 * 1000);
    this.metrics = oneOf(env, 'METRICS', ['on', 'off'], 'on') === 'on';
    this.logFormat = oneOf(env, 'LOG_FORMAT', ['json', 'pretty'], 'json');
    this.logRequests = oneOf(env, 'LOG_REQUESTS', ['on', 'off'], 'on') === 'on';
  }
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

const SQLITE_SCHEME = 'sqlite:';

/** Unset: the default SQLite file. `sqlite:<path>`: that file (relative to the working directory or absolute). */
function database(env: Readonly<Record<string, string | undefined>>): DatabaseConfig {
  const raw = value(env, 'DATABASE_URL');
  if (raw === undefined) return { driver: 'sqlite', path: resolve(DEFAULT_SQLITE_FILE) };
  if (raw === 'memory:') return { driver: 'memory' };
  const path = raw.startsWith(SQLITE_SCHEME) ? raw.slice(SQLITE_SCHEME.length) : undefined;
  // `sqlite://x` would silently mean the absolute path `//x`: refuse the URL-like form instead of guessing.
  if (!path || path.startsWith('//')) {
    throw new ConfigError(
      'DATABASE_URL',
      `'${raw}' is not supported; use 'sqlite:<file path>' (e.g. 'sqlite:./data/cluster-actions.db' or ` +
        `'sqlite:/var/lib/cluster-actions.db') or 'memory:' (nothing is kept).`,
    );
  }
  return { driver: 'sqlite', path: resolve(path) };
}

function adminEmail(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const raw = value(env, 'ADMIN_EMAIL');
  if (raw !== undefined && !/^[^\s@:]+@[^\s@:]+$/.test(raw)) {
    throw new ConfigError('ADMIN_EMAIL', `'${raw}' is not an email address.`);
  }
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

function clusterNodes(env: Readonly<Record<string, string | undefined>>): InitialNode[] {
  const raw = value(env, 'CLUSTER_NODES') ?? '1,2,3';
  const nodes = raw.split(',').map((entry): InitialNode => {
    const [uid, status = 'active', ...rest] = entry.trim().split(':');
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
