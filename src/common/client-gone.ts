import type { Response } from 'express';

/** A signal aborted when the client goes away before its answer was sent (it closed the connection). */
export function whenClientGone(response: Response): AbortSignal {
  const controller = new AbortController();
  response.once('close', () => {
    if (!response.writableFinished) controller.abort();
  });
  return controller.signal;
}
