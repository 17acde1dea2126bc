import { CredentialCache } from './credential-cache.js';

describe('CredentialCache', () => {
  it('keys credentials by an HMAC of account and password, never by the password itself', () => {
    const cache = new CredentialCache();
    const key = cache.keyOf('uid 7', 'hunter22');
    expect(key).not.toContain('hunter22');
    expect(key).toBe(cache.keyOf('uid 7', 'hunter22'));
    expect(cache.keyOf('uid 8', 'hunter22')).not.toBe(key);
    expect(cache.keyOf('uid 7', 'hunter23')).not.toBe(key);
    expect(new CredentialCache().keyOf('uid 7', 'hunter22')).not.toBe(key); // per-process secret
  });

  it('holds an entry until its TTL passes', () => {
    const cache = new CredentialCache();
    cache.set('k', 'hash', 1_000);
    expect(cache.holds('k', 'hash', 1_000 + 299_999)).toBe(true);
    expect(cache.holds('k', 'hash', 301_000)).toBe(false);
    expect(cache.size).toBe(0);
  });

  it('drops an entry verified against another hash (the password changed)', () => {
    const cache = new CredentialCache();
    cache.set('k', 'old-hash');
    expect(cache.holds('k', 'new-hash')).toBe(false);
    expect(cache.size).toBe(0);
  });

  it('stays bounded, dropping the oldest entry first', () => {
    const cache = new CredentialCache();
    for (let i = 0; i < 10_001; i++) cache.set(`k${i}`, 'hash');
    expect(cache.size).toBe(10_000);
    expect(cache.holds('k0', 'hash')).toBe(false);
    expect(cache.holds('k10000', 'hash')).toBe(true);
  });
});
