import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Seconds; a GET answers in about a millisecond, a request that waits on the KDF in tens. */
const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** Seconds; from a no-op that completes at once to a change_master of several long steps. */
const RUN_BUCKETS = [0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];

/**
 * Every metric the service exports, in one registry per application (so that apps in one test process do not
 * share counters). A feature adds a metric with one line here and updates it where it happens, through this
 * injectable.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();

  // HTTP (observed by httpMetrics). The histogram's _count is the request count by route, method and status.
  readonly httpRequestDuration = this.histogram(
    'http_request_duration_seconds',
    'Time to answer a request, by route template, method and status.',
    ['route', 'method', 'status_code'],
    HTTP_BUCKETS,
  );
  readonly storeErrors = this.counter(
    'cluster_actions_store_errors_total',
    'Requests that failed because a store call threw (answered 500), by route template.',
    ['route'],
  );

  // Runs (derived from RunEvents by RunMetrics).
  readonly runsStarted = this.counter(
    'cluster_actions_runs_started_total',
    'Runs accepted (stored queued), by action.',
    ['action'],
  );
  readonly runsFinished = this.counter(
    'cluster_actions_runs_finished_total',
    'Runs that reached a terminal status, by action and status.',
    ['action', 'status'],
  );
  readonly runDuration = this.histogram(
    'cluster_actions_run_duration_seconds',
    'From start (or creation, for a run that never started) to end, by action and terminal status.',
    ['action', 'status'],
    RUN_BUCKETS,
  );
  readonly runsActive = this.gauge(
    'cluster_actions_runs_active',
    'Runs not yet finished, by status, as this process saw them change.',
    ['status'],
  );

  // Authentication (updated by AuthService).
  readonly passwordChecks = this.counter(
    'cluster_actions_password_checks_total',
    'Password KDF runs to check a login (the cost clients can make the service pay).',
  );
  readonly credentialCacheHits = this.counter(
    'cluster_actions_credential_cache_hits_total',
    'Requests whose credential the cache vouched for, without a KDF run.',
  );
  readonly loginsRefused = this.counter(
    'cluster_actions_logins_throttled_total',
    'Logins refused by the brute-force throttle or the bound on checks in flight, by error code.',
    ['error_code'],
  );

  counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  gauge<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }

  histogram<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    buckets: number[],
  ): Histogram<L> {
    return new Histogram({ name, help, labelNames, buckets, registers: [this.registry] });
  }
}
