import autocannon from 'autocannon';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServerProcess } from './servers.js';

const CONNECTIONS = 50;
const RSS_SAMPLE_MS = 250;
/**
 * autocannon stops at its deadline with up to one request per connection in flight, and the server still
 * answers those into closed sockets. This pause lets it finish them, so that they neither load the next case
 * nor change state behind the bench (a late POST would start a new run after the bench cancelled its own).
 */
const SETTLE_MS = 250;
/** How long a probe waits for a run to reach the state it polls for. */
const POLL_TIMEOUT_MS = 5_000;
/** The service's terminal statuses (src/actions/action-lifecycle.ts); the bench talks to it over HTTP only. */
const TERMINAL = ['completed', 'failed', 'cancelled', 'aborted'];

/** What the server did while a case ran, besides answering. */
interface Observed {
  /** Peak resident set size. */
  readonly rssMb?: number;
  /** Lines it printed: a log line per request would be a cost of its own. */
  readonly logLines: number;
}

/** One measurement of one case in one round. */
export interface Measurement extends Observed {
  /** Requests (or, for the run cycle, completed runs) per second. */
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** What went wrong; empty when the case ran clean. */
  readonly errors: readonly string[];
}

export interface LoadCase {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** The one status every response must have. */
  readonly status: number;
}

/** Watches the server while `work` runs. */
async function observe<T>(server: ServerProcess, work: Promise<T>): Promise<[T, Observed]> {
  const linesBefore = server.lineCount;
  let peak = server.rssMb();
  const timer = setInterval(() => {
    const rss = server.rssMb();
    if (rss !== undefined) peak = Math.max(peak ?? 0, rss);
  }, RSS_SAMPLE_MS);
  try {
    const result = await work;
    return [result, { rssMb: peak, logLines: server.lineCount - linesBefore }];
  } finally {
    clearInterval(timer);
  }
}

/** Drives `server` with autocannon for `seconds` at 50 connections; any response but `status` is an error. */
export async function load(server: ServerProcess, spec: LoadCase, seconds: number): Promise<Measurement> {
  const [result, observed] = await observe(
    server,
    autocannon({
      url: server.baseUrl + spec.path,
      method: spec.method,
      headers: spec.headers,
      body: spec.body,
      connections: CONNECTIONS,
      duration: seconds,
    }),
  );
  // A request still in flight may take as long as the slowest one answered (a loaded machine: seconds).
  await sleep(Math.max(SETTLE_MS, result.latency.max));
  const errors: string[] = [];
  for (const [status, { count = 0 }] of Object.entries(result.statusCodeStats ?? {})) {
    if (Number(status) !== spec.status) errors.push(`${count} responses with status ${status}`);
  }
  if (result.errors > 0) errors.push(`${result.errors} connection errors`);
  if (result.timeouts > 0) errors.push(`${result.timeouts} timeouts`);
  if (result.requests.total === 0) errors.push('no response at all');
  return {
    perSecond: result.requests.total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    ...observed,
    errors,
  };
}

/** Sends one request of `spec` and throws unless it answers `spec.status` (for probes, not for load). */
export async function send(server: ServerProcess, spec: LoadCase): Promise<void> {
  const response = await fetch(server.baseUrl + spec.path, {
    method: spec.method,
    headers: spec.headers,
    body: spec.body,
  });
  await response.arrayBuffer();
  if (response.status !== spec.status) {
    throw new Error(`${spec.method} ${spec.path} answered ${response.status}, not ${spec.status}`);
  }
}

export interface ActionBody {
  readonly status: string;
  readonly step?: string;
  readonly [field: string]: unknown;
}

/** A client for the service's actions API, for the sequential probes (not the load). */
export class ActionsClient {
  constructor(
    private readonly server: ServerProcess,
    private readonly authorization: string,
    private readonly action: string,
  ) {}

  /** Sends one request and returns the action object; a status other than 200 throws. */
  async call(method: 'GET' | 'POST' | 'DELETE', body?: object, query = ''): Promise<ActionBody> {
    const response = await fetch(`${this.server.baseUrl}/v1/cluster/actions/${this.action}${query}`, {
      method,
      headers: { authorization: this.authorization, 'content-type': 'application/json' },
      body: body && JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status !== 200)
      throw new Error(`${method} ${this.action} answered ${response.status}: ${text}`);
    return JSON.parse(text) as ActionBody;
  }

  /**
   * GETs the action back to back until `done` holds; returns it. Throws if it ended otherwise or too late.
   * `onGet` counts the GETs.
   */
  async pollUntil(
    done: (action: ActionBody) => boolean,
    onGet?: () => void,
    query = '',
  ): Promise<ActionBody> {
    const deadline = performance.now() + POLL_TIMEOUT_MS;
    for (;;) {
      const action = await this.call('GET', undefined, query);
      onGet?.();
      if (done(action)) return action;
      if (TERMINAL.includes(action.status) || performance.now() > deadline) {
        throw new Error(`${this.action} did not get there: ${JSON.stringify(action)}`);
      }
    }
  }
}

const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;

/** Summarises durations in ms the way autocannon does for requests. */
export function durationStats(samples: readonly number[]): { p50Ms: number; p99Ms: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99) };
}

/** How a cycle learns that its run completed: GETs back to back, or GETs that wait for the end (`?wait`). */
export type CycleMode = 'poll' | 'wait';
/** `?wait` of the waiting GET: far above a no-op run's time, below POLL_TIMEOUT_MS. */
const WAIT_QUERY = '?wait=4';

/**
 * Runs start -> completed cycles one after the other for `seconds`: POST, then GET until the run completed.
 * `params` must name a run that completes at once (change_master to the current master is a no-op).
 */
export async function cycles(
  server: ServerProcess,
  client: ActionsClient,
  params: object,
  seconds: number,
  mode: CycleMode = 'poll',
): Promise<Measurement> {
  const durations: number[] = [];
  const errors: string[] = [];
  const work = (async () => {
    const end = performance.now() + seconds * 1000;
    while (performance.now() < end) {
      const started = performance.now();
      await client.call('POST', params);
      const query = mode === 'wait' ? WAIT_QUERY : '';
      await client.pollUntil((action) => action.status === 'completed', undefined, query);
      durations.push(performance.now() - started);
    }
  })().catch((error: unknown) => errors.push(String(error)));
  const [, observed] = await observe(server, work);
  return { perSecond: durations.length / seconds, ...durationStats(durations), ...observed, errors };
}

/** Starts a run that stays running (`params` must make it so) and waits until its handler has started. */
export async function startRun(
  client: ActionsClient,
  params: object,
): Promise<{ readonly startMs: number; readonly startRecordedMs: number }> {
  await client.call('POST', params);
  const answered = performance.now();
  const running = await client.pollUntil((action) => action.step !== undefined);
  return {
    // From the POST's answer until the handler's first step is visible.
    startMs: performance.now() - answered,
    // The same as the service records it, at 1 ms resolution: queued (creation_time) to running (start_time).
    startRecordedMs: Date.parse(String(running.start_time)) - Date.parse(String(running.creation_time)),
  };
}

/** Cancels the running run and returns the ms from sending DELETE until it reads `cancelled`. */
export async function cancelRun(client: ActionsClient): Promise<number> {
  const sent = performance.now();
  const answered = await client.call('DELETE');
  if (answered.status !== 'cancelled') {
    await client.pollUntil(
      (action) => action.action_uid === answered.action_uid && action.status === 'cancelled',
    );
  }
  return performance.now() - sent;
}
