import type { ServerResponse } from 'node:http';
import { ExpressAdapter } from '@nestjs/platform-express';

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
/** Statuses whose response has no body: Express strips them, so their replies stay with Express. */
const NO_BODY = new Set([204, 304]);

/**
 * Sends `body` as JSON with `status`: the bytes and headers Express's `res.status(status).json(body)` sends in
 * this app (ETag and JSON settings off), without its content-type negotiation and freshness checks, which cost a
 * seventh of a GET's rate (measured). Node leaves the body out of a HEAD response, as Express does.
 */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  response.statusCode = status;
  response.setHeader('Content-Type', JSON_CONTENT_TYPE);
  response.setHeader('Content-Length', Buffer.byteLength(json));
  response.end(json);
}

/** A JSON document: what a handler returns for the client (DTOs), not a string, buffer, stream or class. */
function isJsonDocument(body: unknown): body is object {
  if (typeof body !== 'object' || body === null) return false;
  const prototype: unknown = Object.getPrototypeOf(body);
  return prototype === Object.prototype || prototype === null || Array.isArray(body);
}

/**
 * Nest's Express adapter, replying to handlers that return a JSON document through sendJson. A reply whose
 * handler chose its own Content-Type (e.g. with `@Header()`) stays with Express, which keeps it.
 */
export class JsonExpressAdapter extends ExpressAdapter {
  override reply(response: ServerResponse, body: unknown, statusCode?: number): unknown {
    const status = statusCode ?? response.statusCode;
    if (!isJsonDocument(body) || NO_BODY.has(status) || response.hasHeader('Content-Type')) {
      return super.reply(response, body, statusCode);
    }
    sendJson(response, status, body);
    return undefined;
  }
}
