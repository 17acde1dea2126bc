import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { createHash } from 'node:crypto';
import { stringify } from 'safe-stable-stringify';
import { InvalidRequestError } from '../errors/domain-error.js';

/** The request header that makes a start idempotent. */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

/** How long a key is kept: a retry within it answers the run the key started. */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;

/** 1 to 255 visible ASCII characters (no space, no control character). */
const VALID_KEY = /^[\x21-\x7e]{1,255}$/;

/** The header's value, or `undefined` when it is absent; 400 `invalid_request` when it is not a valid key. */
export function parseIdempotencyKey(raw: string | string[] | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !VALID_KEY.test(raw)) {
    throw new InvalidRequestError(`${IDEMPOTENCY_KEY_HEADER} must be 1 to 255 visible ASCII characters.`);
  }
  return raw;
}

/**
 * What a key is bound to: the action and its validated parameters, hashed from a JSON with sorted keys, so that
 * a retry that orders the body's fields differently is the same request.
 */
export function requestHash(name: string, params: object): string {
  // A params object always stringifies (the pipe built it from JSON).
  return createHash('sha256').update(stringify({ name, params })!).digest('base64url');
}

/** The validated Idempotency-Key header of the request, `undefined` without one. */
export const IdempotencyKeyHeader = createParamDecorator(
  (_data: unknown, context: ExecutionContext): string | undefined =>
    parseIdempotencyKey(context.getArgByIndex<Request>(0).headers[IDEMPOTENCY_KEY_HEADER.toLowerCase()]),
);
