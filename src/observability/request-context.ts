import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request } from 'express';

/** Express-style middleware on Node's own request and response types. */
export type Middleware = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** A caller's id is kept when it is this safe to copy into logs and headers; any other is replaced. */
const WELL_FORMED_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request's id: the caller's `X-Request-Id` when well-formed, else a new UUID; echoed on the response. */
export function assignRequestId(req: IncomingMessage, res: ServerResponse): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && WELL_FORMED_REQUEST_ID.test(given) ? given : randomUUID();
  res.setHeader(REQUEST_ID_HEADER, id);
  return id;
}

/** What every request outside any route is labelled: a client choosing paths must not choose label values. */
export const UNMATCHED_ROUTE = 'unmatched';

/** The route template that served the request (`/v1/cluster/actions/:action`), never the path it asked for. */
export function routeTemplate(req: IncomingMessage): string {
  const path = ((req as Partial<Request>).route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? path : UNMATCHED_ROUTE;
}
