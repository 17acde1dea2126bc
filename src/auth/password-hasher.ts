import { Injectable, Logger } from '@nestjs/common';
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const KEY_LENGTH = 32;
/** About 50 ms on this class of machine: slow for a guesser, and paid once per credential thanks to the cache. */
const COST: ScryptOptions = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

/** scrypt, stored as `scrypt$N$r$p$salt$key` (base64) so that the cost can be raised later. */
@Injectable()
export class PasswordHasher {
  private readonly logger = new Logger(PasswordHasher.name);
  private verifyRuns = 0;

  /** How many times the KDF ran to check a password since start-up (the cost a client can make us pay). */
  get verifications(): number {
    return this.verifyRuns;
  }

  async hash(password: string): Promise<string> {
    const salt = randomBytes(16);
    const key = await this.derive('hash', password, salt, COST);
    return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64'), key.toString('base64')].join('$');
  }

  /** Runs the KDF even for a hash it cannot read, so that no stored value answers faster than a wrong password. */
  async verify(password: string, stored: string): Promise<boolean> {
    const [scheme, n, r, p, salt, key] = stored.split('$');
    const readable = scheme === 'scrypt' && !!salt && !!key;
    const options = readable ? { N: Number(n), r: Number(r), p: Number(p), maxmem: COST.maxmem } : COST;
    this.verifyRuns++;
    const actual = await this.derive('verify', password, Buffer.from(salt ?? '', 'base64'), options);
    const expected = Buffer.from(key ?? '', 'base64');
    return readable && actual.length === expected.length && timingSafeEqual(actual, expected);
  }

  /** Every KDF run leaves a debug line: the bench counts them to prove the credential cache works. */
  private async derive(
    purpose: 'hash' | 'verify',
    password: string,
    salt: Buffer,
    options: ScryptOptions,
  ): Promise<Buffer> {
    const key = await new Promise<Buffer>((resolve, reject) =>
      scrypt(password, salt, KEY_LENGTH, options, (error, derived) =>
        error ? reject(error) : resolve(derived),
      ),
    );
    this.logger.debug(`Password KDF ran (${purpose})`);
    return key;
  }
}
