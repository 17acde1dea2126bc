import { decodeCursor, encodeCursor } from './history-cursor.js';

describe('history cursor', () => {
  it.each([1, 42, 1_000_000, Number.MAX_SAFE_INTEGER])('gives back the sequence number %d', (seq) => {
    expect(decodeCursor(encodeCursor(seq))).toBe(seq);
  });

  it('uses only URL-safe characters', () => {
    expect(encodeCursor(Number.MAX_SAFE_INTEGER)).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it.each([
    ['empty', ''],
    ['not base64url', '%%%'],
    ['zero', Buffer.from('0').toString('base64url')],
    ['a leading zero', Buffer.from('012').toString('base64url')],
    ['negative', Buffer.from('-5').toString('base64url')],
    ['a fraction', Buffer.from('1.5').toString('base64url')],
    ['too large', Buffer.from('9007199254740993').toString('base64url')],
    ['text', Buffer.from('abc').toString('base64url')],
    ['padding', `${encodeCursor(7)}=`],
    ['stray characters', `${encodeCursor(7)}!`],
  ])('refuses a cursor that is %s with invalid_request', (_case, cursor) => {
    expect(() => decodeCursor(cursor)).toThrow(expect.objectContaining({ code: 'invalid_request' }));
  });
});
