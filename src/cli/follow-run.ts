import { setTimeout as sleep } from 'node:timers/promises';
import type { EventSourceMessage } from 'eventsource-parser/stream';
import { actionPath, type Action, type ApiClient } from './api-client.js';
import { ApiError, isFinished } from './exit-codes.js';
import type { RunDisplay } from './run-display.js';

/** How long each fallback `?wait` request may wait: the display moves at least this often. */
const POLL_WAIT_SECONDS = '1';
const ALL_EVENTS_PATH = '/v1/cluster/actions/events';

export interface FollowOptions {
  readonly signal: AbortSignal;
  readonly display: RunDisplay;
}

/**
 * Opens the live event stream, or gives undefined when the service cannot stream (no such route, or a proxy
 * failing it), so the caller polls instead. A refusal (credentials, permission, unknown action) stands.
 */
async function openEvents(
  client: ApiClient,
  path: string,
  signal: AbortSignal,
): Promise<ReadableStream<EventSourceMessage> | undefined> {
  try {
    return await client.events(path, signal);
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status >= 500)) return undefined;
    throw error;
  }
}

/** The actions in a stream, until it ends; a broken stream ends it too, unless we aborted it. */
async function* actionsIn(
  stream: ReadableStream<EventSourceMessage> | undefined,
  signal: AbortSignal,
): AsyncGenerator<Action> {
  if (!stream) return;
  try {
    for await (const message of stream) yield JSON.parse(message.data) as Action;
  } catch (error) {
    if (signal.aborted) throw error;
  }
}

/**
 * Follows the run that `first` answers (POST or GET, sent once the stream is open, so no change is missed)
 * until it ends or `signal` aborts; the live stream feeds the display, `?wait` polling when there is none.
 * Answers the run's last state.
 */
export async function followRun(
  client: ApiClient,
  name: string,
  first: () => Promise<Action>,
  { signal, display }: FollowOptions,
): Promise<Action> {
  const done = new AbortController();
  const streamSignal = AbortSignal.any([signal, done.signal]);
  try {
    const stream = await openEvents(client, actionPath(name, '/events'), streamSignal);
    let run = await first();
    display.show(run);
    if (isFinished(run.status)) return run;
    for await (const action of actionsIn(stream, streamSignal)) {
      if (action.action_uid !== run.action_uid) continue;
      run = action;
      display.show(run);
      if (isFinished(run.status)) return run;
    }
    // No stream, or it ended (the service stopping, a proxy's timeout): poll.
    while (!isFinished(run.status)) {
      const polled = await client.request<Action>('GET', actionPath(name), {
        query: { wait: POLL_WAIT_SECONDS },
        signal,
      });
      display.show(polled);
      // A different run means ours ended and was replaced: report the newer one's state rather than wait on it.
      if (polled.action_uid !== run.action_uid) return polled;
      run = polled;
    }
    return run;
  } finally {
    done.abort();
  }
}

/** Shows every change of one action type, or of all, until `signal` aborts. */
export async function watchRuns(
  client: ApiClient,
  name: string | undefined,
  { signal, display }: FollowOptions,
): Promise<void> {
  const stream = await openEvents(client, name ? actionPath(name, '/events') : ALL_EVENTS_PATH, signal);
  const showCurrent = async (): Promise<void> => {
    const { actions } = await client.request<{ actions: Action[] }>('GET', '/v1/cluster/actions', { signal });
    for (const action of actions) if (!name || action.name === name) display.show(action);
  };
  await showCurrent();
  for await (const action of actionsIn(stream, signal)) display.show(action);
  // No stream, or it ended: poll the list.
  for (;;) {
    await sleep(Number(POLL_WAIT_SECONDS) * 1000, undefined, { signal });
    await showCurrent();
  }
}
