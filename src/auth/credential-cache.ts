import { Injectable } from '@nestjs/common';
import { createHmac, randomBytes } from 'node:crypto';

const MAX_ENTRIES = 10_000;
const TTL_MS = 5 * 60 * 1000;

interface Entry {
  readonly uid: number;
  /** The hash the credential was verified against: a new password (any replica) makes the entry stale. */
  readonly passwordHash: string;
  readonly expiresAt: number;
}

/**
 * Remembers credentials that passed the slow KDF, so that repeated requests skip it. Keys are an HMAC of the
 * Authorization header under a per-process secret: the clear password is never kept. Bounded (oldest out
 * first) and with a TTL. An entry only names the user and the hash it was checked against; the caller re-reads
 * the user on every request, so a password change, lock, demotion or deletion applies at once.
 */
@Injectable()
export class CredentialCache {
  private readonly secret = randomBytes(32);
  private readonly entries = new Map<string, Entry>();

  keyOf(authorization: string): string {
    return createHmac('sha256', this.secret).update(authorization).digest('base64');
  }

  get(key: string, now = Date.now()): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  set(key: string, uid: number, passwordHash: string, now = Date.now()): void {
    this.entries.delete(key);
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, { uid, passwordHash, expiresAt: now + TTL_MS });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
