/** The service's public HTTP API, as the console uses it: Basic credentials held in this object only. */
import { EventStreamParser, type StreamEvent } from './event-stream-parser.js';

/** The action object (README: API), with the run's steps when the handler reports them. */
export interface Action {
  readonly name: string;
  readonly action_uid: string;
  readonly status: string;
  readonly progress: number;
  readonly step?: string;
  readonly steps?: readonly ActionStep[];
  readonly error_code?: string;
  readonly error_message?: string;
  readonly creation_time: string;
  readonly start_time?: string;
  readonly end_time?: string;
  readonly started_by?: string;
  readonly cancelled_by?: string;
  readonly cancellable: boolean;
  readonly [param: string]: unknown;
}

export interface ActionStep {
  readonly name: string;
  readonly status: string;
  readonly start_time?: string;
  readonly end_time?: string;
}

export interface SignedInUser {
  readonly email: string;
  readonly name: string;
  readonly role: string;
  readonly permissions: readonly string[];
}

export interface HistoryPage {
  readonly actions: Action[];
  readonly next_cursor: string | null;
}

/** `GET /v1/nodes/status`: node uid -> its role and state. */
export type NodesStatus = Record<string, { readonly role: string; readonly node_status: string }>;

/** Where a run is in its life: a description of a run never replaces one of a later point. */
const STATUS_RANK: Readonly<Record<string, number>> = { queued: 0, starting: 1, running: 2, cancelling: 3 };
const TERMINAL_RANK = 4;

export const isActive = (action: Action): boolean => Object.hasOwn(STATUS_RANK, action.status);

/** Whether `next` describes the same run later than `previous`, or a newer run. */
export function isNewer(previous: Action | undefined, next: Action): boolean {
  if (!previous) return true;
  if (previous.action_uid !== next.action_uid) return next.creation_time >= previous.creation_time;
  const rank = (action: Action) => (isActive(action) ? STATUS_RANK[action.status] : TERMINAL_RANK);
  return rank(next) > rank(previous) || (rank(next) === rank(previous) && next.progress >= previous.progress);
}

/** A refusal or failure the server described with its standard body `{error_code, description}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    readonly description: string,
  ) {
    super(description);
    this.name = 'ApiError';
  }
}

export class Api {
  private readonly authorization: string;

  constructor(email: string, password: string) {
    // btoa takes Latin-1 only: encode the UTF-8 bytes, as curl does.
    const bytes = new TextEncoder().encode(`${email}:${password}`);
    this.authorization = `Basic ${btoa(String.fromCharCode(...bytes))}`;
  }

  me(): Promise<SignedInUser> {
    return this.json('GET', '/v1/users/me');
  }

  async actions(): Promise<Action[]> {
    return (await this.json<{ actions: Action[] }>('GET', '/v1/cluster/actions')).actions;
  }

  start(name: string, params: Record<string, unknown>): Promise<Action> {
    return this.json('POST', `/v1/cluster/actions/${encodeURIComponent(name)}`, params);
  }

  cancel(name: string): Promise<Action> {
    return this.json('DELETE', `/v1/cluster/actions/${encodeURIComponent(name)}`);
  }

  history(name: string, cursor?: string): Promise<HistoryPage> {
    const query = new URLSearchParams({ limit: '20' });
    if (cursor) query.set('cursor', cursor);
    return this.json('GET', `/v1/cluster/actions/${encodeURIComponent(name)}/history?${query}`);
  }

  nodes(): Promise<NodesStatus> {
    return this.json('GET', '/v1/nodes/status');
  }

  /**
   * Reads the live event stream until it ends or `signal` aborts. EventSource cannot send an Authorization
   * header, so this is a streaming fetch parsed as `text/event-stream`.
   */
  async stream(
    path: string,
    lastEventId: string | undefined,
    onEvent: (event: StreamEvent) => void,
    signal: AbortSignal,
    /** Called once the server answered: from then on no change is missed. */
    onOpen: () => void,
  ): Promise<void> {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (lastEventId) headers['last-event-id'] = lastEventId;
    const response = await this.send('GET', path, undefined, headers, signal);
    onOpen();
    if (!response.body) return;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    const parser = new EventStreamParser(onEvent);
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      parser.push(value);
    }
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.send(method, path, body, { accept: 'application/json' });
    return (await response.json()) as T;
  }

  private async send(
    method: string,
    path: string,
    body: unknown,
    headers: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<Response> {
    const response = await fetch(path, {
      method,
      headers: {
        ...headers,
        authorization: this.authorization,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      // Only the header above: no cookies, no credentials the browser cached, no browser login prompt on 401.
      credentials: 'omit',
      cache: 'no-store',
      signal,
    });
    if (!response.ok) throw await errorOf(response);
    return response;
  }
}

/** The server's `{error_code, description}`, or what the status says when the body is not that. */
async function errorOf(response: Response): Promise<ApiError> {
  const body = (await response.json().catch(() => undefined)) as
    { error_code?: unknown; description?: unknown } | undefined;
  if (typeof body?.error_code === 'string' && typeof body.description === 'string') {
    return new ApiError(response.status, body.error_code, body.description);
  }
  return new ApiError(response.status, 'http_error', `The service answered ${response.status}.`);
}
