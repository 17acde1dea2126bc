import { EventSourceParserStream, type EventSourceMessage } from 'eventsource-parser/stream';
import { ApiError, CliError, ExitCode } from './exit-codes.js';

/** Where the service is and who asks. */
export interface Connection {
  readonly url: string;
  readonly user: string;
  readonly password: string;
}

/** The action object as the service answers it (its further fields are the run's parameters). */
export interface Action {
  readonly name: string;
  readonly action_uid: string;
  readonly status: string;
  readonly progress: number;
  readonly step?: string;
  readonly error_code?: string;
  readonly error_message?: string;
  readonly creation_time: string;
  readonly start_time?: string;
  readonly end_time?: string;
  readonly started_by?: string;
  readonly cancelled_by?: string;
  readonly cancellable?: boolean;
  readonly [param: string]: unknown;
}

export interface RequestOptions {
  readonly body?: unknown;
  readonly query?: Readonly<Record<string, string | undefined>>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
}

/** The path of one action type's routes. */
export const actionPath = (name: string, suffix = ''): string =>
  `/v1/cluster/actions/${encodeURIComponent(name)}${suffix}`;

/**
 * The service's public HTTP API over Node's fetch, and nothing else: every answer that is not 2xx becomes a
 * CliError with the exit code it stands for (4xx refused, 5xx or no answer unreachable).
 */
export class ApiClient {
  private readonly authorization: string;

  constructor(private readonly connection: Connection) {
    this.authorization = `Basic ${Buffer.from(`${connection.user}:${connection.password}`).toString('base64')}`;
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(method, path, options, 'application/json');
    const text = await response.text();
    try {
      return JSON.parse(text) as T;
    } catch {
      // Something else answers at that address (a web page, a proxy's login form).
      throw new CliError(
        ExitCode.Unreachable,
        `${method} ${path} answered ${response.status} but not JSON: is --url right?`,
      );
    }
  }

  /** Opens an event stream; resolves once its head arrived, with the parsed events. */
  async events(path: string, signal: AbortSignal): Promise<ReadableStream<EventSourceMessage>> {
    const response = await this.send('GET', path, { signal }, 'text/event-stream');
    if (!response.body) throw new CliError(ExitCode.Unreachable, `GET ${path} answered no body`);
    return response.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
  }

  private async send(
    method: string,
    path: string,
    options: RequestOptions,
    accept: string,
  ): Promise<Response> {
    const url = new URL(this.connection.url + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, value);
    }
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          accept,
          authorization: this.authorization,
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: options.signal,
      });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw new CliError(ExitCode.Unreachable, `Cannot reach ${this.connection.url}: ${causeOf(error)}`);
    }
    if (response.ok) return response;
    const { error_code, description } = await errorBody(response);
    throw new ApiError(
      response.status,
      error_code,
      `${method} ${url.pathname} answered ${response.status} ${error_code}: ${description}`,
    );
  }
}

async function errorBody(response: Response): Promise<{ error_code: string; description: string }> {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as { error_code?: unknown; description?: unknown };
    if (typeof body.error_code === 'string') {
      return {
        error_code: body.error_code,
        description: typeof body.description === 'string' ? body.description : '',
      };
    }
  } catch {
    // Not the standard body (a proxy's page, say): show what came.
  }
  return { error_code: 'unexpected_answer', description: text.slice(0, 200) || response.statusText };
}

/** fetch hides the network error (ECONNREFUSED, ENOTFOUND...) in its cause. */
function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}
