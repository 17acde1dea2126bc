import { InvalidRequestError } from '../errors/domain-error.js';

/** A cursor holds a sequence number in decimal, without leading zeros, within JavaScript's exact integers. */
const SEQ = /^[1-9]\d{0,15}$/;

/**
 * Where a history page ends, for the client to ask for the next one: the base64url of the last run's sequence
 * number. Opaque to clients: they only send it back.
 */
export function encodeCursor(seq: number): string {
  return Buffer.from(String(seq)).toString('base64url');
}

/** The sequence number a cursor from encodeCursor holds; anything else is 400 `invalid_request`. */
export function decodeCursor(cursor: string): number {
  const text = Buffer.from(cursor, 'base64url').toString('latin1');
  const seq = Number(text);
  // Re-encoding must give the cursor back: base64url decoding skips characters it does not know.
  if (!SEQ.test(text) || !Number.isSafeInteger(seq) || encodeCursor(seq) !== cursor) {
    throw new InvalidRequestError('Invalid history query: cursor is not one that a history page gave.');
  }
  return seq;
}
