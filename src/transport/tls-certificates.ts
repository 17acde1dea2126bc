import type { LoggerService } from '@nestjs/common';
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync, watchFile, type Stats } from 'node:fs';
import { createSecureContext, type SecureContextOptions, type Server } from 'node:tls';
import type { TlsFiles } from '../config/app-config.js';
import { StartupError } from '../config/startup-error.js';

/** A certificate or key file that cannot be served, named with its setting. */
export class TlsFilesError extends StartupError {}

/** How often the files are checked for a change (a renewal tool replacing them, e.g. certbot or cert-manager). */
const WATCH_INTERVAL_MS = 1_000;
/** A renewal writes the certificate and the key one after the other: reload once both are written. */
const SETTLE_MS = 300;

function read(setting: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new TlsFilesError(`Cannot read ${setting} ${path}: ${(error as Error).message}.`);
  }
}

function parse<T>(setting: string, path: string, what: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    throw new TlsFilesError(`${setting} ${path} is not ${what}: ${(error as Error).message}.`);
  }
}

/** The certificate chain and key served over HTTPS, read from TLS_CERT_FILE and TLS_KEY_FILE. */
export class TlsCertificates {
  private current?: X509Certificate;

  constructor(private readonly files: TlsFiles) {}

  /** Reads and checks both files: PEM, a key that matches the certificate, usable by OpenSSL together. */
  load(): SecureContextOptions {
    const { certFile, keyFile } = this.files;
    const cert = read('TLS_CERT_FILE', certFile);
    const key = read('TLS_KEY_FILE', keyFile);
    const certificate = parse(
      'TLS_CERT_FILE',
      certFile,
      'a PEM certificate',
      () => new X509Certificate(cert),
    );
    const privateKey: KeyObject = parse(
      'TLS_KEY_FILE',
      keyFile,
      'a PEM private key without a passphrase',
      () => createPrivateKey(key),
    );
    if (!certificate.checkPrivateKey(privateKey)) {
      throw new TlsFilesError(
        `TLS_KEY_FILE ${keyFile} is not the key of the certificate in TLS_CERT_FILE ${certFile}.`,
      );
    }
    parse('TLS_CERT_FILE', certFile, 'usable with its key', () => createSecureContext({ cert, key }));
    this.current = certificate;
    return { cert, key };
  }

  /** The certificate last loaded, for the log: its subject and expiry. */
  describe(): string {
    const certificate = this.current;
    if (!certificate) return 'no certificate';
    return `${certificate.subject.replaceAll('\n', ', ')}, valid until ${new Date(certificate.validTo).toISOString()}`;
  }

  /**
   * Serves new certificates from the files on SIGHUP or when the files change. New connections get the new
   * certificate; open ones keep theirs (setSecureContext applies to later handshakes only), so none is dropped.
   * Files that cannot be served (half-written, a key that does not match yet) keep the current certificate.
   */
  reloadInto(server: Server, logger: LoggerService): void {
    const reload = (reason: string): void => {
      try {
        server.setSecureContext(this.load());
        logger.log(`Reloaded the TLS certificate (${reason}): ${this.describe()}.`);
      } catch (error) {
        logger.warn(`Kept the current TLS certificate (${reason}): ${(error as Error).message}`);
      }
    };
    process.on('SIGHUP', () => reload('SIGHUP'));
    let settling: NodeJS.Timeout | undefined;
    const changed = (now: Stats, before: Stats): void => {
      if (now.mtimeMs === before.mtimeMs && now.ino === before.ino && now.size === before.size) return;
      clearTimeout(settling);
      settling = setTimeout(() => reload('the files changed'), SETTLE_MS).unref();
    };
    for (const file of [this.files.certFile, this.files.keyFile]) {
      // Polling follows a file replaced by a rename, as renewal tools do, where fs.watch would lose it.
      watchFile(file, { interval: WATCH_INTERVAL_MS, persistent: false }, changed);
    }
  }
}
