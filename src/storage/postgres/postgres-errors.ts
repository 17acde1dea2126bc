import { StoreUnavailableError } from '../../errors/domain-error.js';

/** Socket errors of a connection that could not be made or was lost. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);

/**
 * SQLSTATEs that mean "the database cannot serve now", not "this statement is wrong": connection exceptions
 * (class 08), insufficient resources (53), operator intervention (57: shutdown, statement timeout), an unknown
 * database, and a database that refuses connections (55000, e.g. ALLOW_CONNECTIONS false).
 */
function isUnavailable(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code)) return true;
    if (/^(08|53|57)/.test(code) || code === '3D000' || code === '55000') return true;
  }
  // node-postgres's own errors for a lost or unobtainable connection carry no code.
  return (
    typeof message === 'string' &&
    /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/.test(
      message,
    )
  );
}

/**
 * What a failed query means to a caller: a database that cannot serve now is `StoreUnavailableError` (503 with
 * Retry-After for a request; retried by a run's session), anything else stays the error it is.
 */
export function storeError(error: unknown): unknown {
  return isUnavailable(error) ? new StoreUnavailableError() : error;
}
