import { BlockList, createServer, isIP } from 'node:net';
import { StartupError } from '../config/startup-error.js';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
LOOPBACK.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');

/** Whether listening on `host` keeps the service reachable from this machine only. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  const family = isIP(host);
  return family !== 0 && LOOPBACK.check(host, family === 6 ? 'ipv6' : 'ipv4');
}

/** `host:port` as a URL authority (IPv6 addresses in brackets). */
export function authority(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** What the operator changes when the address cannot be listened on, by the error's code. */
const REMEDIES: Readonly<Record<string, string>> = {
  EADDRINUSE: 'the port is in use by another process. Stop that process, or set PORT to a free port',
  EACCES: 'permission denied (ports below 1024 need privileges). Set PORT to 1024 or above',
  EADDRNOTAVAIL:
    "the address is not one of this machine's. Set HOST to a local address (e.g. 127.0.0.1 or 0.0.0.0)",
  ENOTFOUND: 'the host name does not resolve. Set HOST to an IP address or a name this machine resolves',
};

/** A listen failure as a start-up error naming the setting to change. */
export class CannotListenError extends StartupError {
  constructor(host: string, port: number, error: NodeJS.ErrnoException) {
    const remedy = REMEDIES[error.code ?? ''] ?? `${error.message}. Check HOST and PORT`;
    super(`Cannot listen on ${authority(host, port)}: ${remedy}.`);
  }
}

/**
 * Binds `host:port` and lets it go, so that a port in use stops the start-up before anything is written (the
 * store is opened and the first admin created before Nest listens).
 */
export function assertCanListen(port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => reject(new CannotListenError(host, port, error)));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}
