import { CredentialCache } from './credential-cache.js';

describe('CredentialCache', () => {
  it('keys credentials by an HMAC, never by the header itself', () => {
    const cache = new CredentialCache();
    const header = `Basic ${Buffer.from('a@b.c:hunter22').toString('base64')}`;
    const key = cache.keyOf(header);
    expect(key).not.toContain(header);
    expect(key).toBe(cache.keyOf(header));
    expect(new CredentialCache().keyOf(header)).not.toBe(key); // per-process secret
  });

  it('returns an entry until its TTL passes', () => {
    const cache = new CredentialCache();
    cache.set('k', 7, 'hash', 1_000);
    expect(cache.get('k', 1_000 + 299_999)).toEqual({ uid: 7, passwordHash: 'hash', expiresAt: 301_000 });
    expect(cache.get('k', 301_000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('forgets an entry on delete', () => {
    const cache = new CredentialCache();
    cache.set('k', 7, 'hash');
    cache.delete('k');
    expect(cache.get('k')).toBeUndefined();
  });

  it('stays bounded, dropping the oldest entry first', () => {
    const cache = new CredentialCache();
    for (let i = 0; i < 10_001; i++) cache.set(`k${i}`, i, 'hash');
    expect(cache.size).toBe(10_000);
    expect(cache.get('k0')).toBeUndefined();
    expect(cache.get('k10000')).toMatchObject({ uid: 10_000 });
  });
});
