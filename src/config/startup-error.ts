import { ConsoleLogger } from '@nestjs/common';

/**
 * A problem the operator must fix before the service can start (bad configuration, a database in use or
 * too new, a port in use, unreadable TLS files). main.ts prints its message alone, without a stack, and exits 1.
 */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * Nest's console logger, minus Nest's report of a StartupError: Nest logs whatever fails while it builds the
 * application, with its stack, before handing it back to main.ts, which prints a StartupError as one line.
 */
export class StartupLogger extends ConsoleLogger {
  override error(message: unknown, ...rest: unknown[]): void {
    if (message instanceof StartupError) return;
    super.error(message, ...rest);
  }
}
