import { Module } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { LoggerModule } from 'nestjs-pino';
import { pino, type DestinationStream, type Level, type Logger as PinoRoot } from 'pino';
import { AppConfig, type LogLevel } from '../config/app-config.js';
import { StartupError } from '../config/startup-error.js';
import { assignRequestId, routeTemplate, type Middleware } from './request-context.js';

/** Nest's level names (LOG_LEVEL) as pino's. */
const PINO_LEVELS: { readonly [L in LogLevel]: Level } = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

/** Fields that never reach a log line, wherever a caller puts them. */
const REDACTED_PATHS = [
  'authorization',
  'password',
  'cookie',
  '*.authorization',
  '*.password',
  '*.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

/** `scheme://user:password@host` in any string: the credentials are replaced, the rest kept. */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s"'/@]+@/gi;

export function redactUrlCredentials(text: string): string {
  return text.includes('://') ? text.replace(URL_CREDENTIALS, '$1[Redacted]@') : text;
}

/**
 * The lines of one turn of the event loop, written to stdout in one write when the turn ends: a write per line (a
 * system call each) cost a twelfth of a GET's rate (measured). Whatever is pending when the process exits, however
 * it exits, is written then (stdout on a pipe or a file is written synchronously). stdout is looked up on every
 * write, so that a test can capture it.
 */
class StdoutLines {
  private pending = '';

  constructor() {
    process.on('exit', this.flush);
  }

  readonly write = (line: string): void => {
    if (this.pending === '') setImmediate(this.flush);
    this.pending += line;
  };

  readonly flush = (): void => {
    const lines = this.pending;
    this.pending = '';
    if (lines !== '') process.stdout.write(lines);
  };
}

/** One for the process, as stdout is. */
const stdoutLines = new StdoutLines();

/**
 * Where lines go: stdout (see StdoutLines), with URL credentials removed from the finished line (they hide
 * inside strings, out of reach of pino's path redaction).
 */
async function destination(format: AppConfig['logFormat']): Promise<DestinationStream> {
  const out = format === 'pretty' ? await prettyPrinter() : stdoutLines;
  return { write: (line: string) => out.write(redactUrlCredentials(line)) };
}

/** pino-pretty is a dev dependency: a production install without it says so instead of failing obscurely. */
async function prettyPrinter(): Promise<DestinationStream> {
  try {
    const { default: pretty } = await import('pino-pretty');
    return pretty({ destination: process.stdout, sync: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new StartupError(
      'LOG_FORMAT=pretty needs the pino-pretty package, a dev dependency that this installation lacks ' +
        '(npm install --include=dev); unset LOG_FORMAT for JSON lines.',
    );
  }
}

/** The application's one pino logger: JSON lines at LOG_LEVEL, secrets redacted. */
export async function createRootLogger(config: AppConfig): Promise<PinoRoot> {
  return pino(
    { level: PINO_LEVELS[config.logLevel], redact: { paths: REDACTED_PATHS } },
    await destination(config.logFormat),
  );
}

/**
 * Per request: an id (see assignRequestId) bound to every line logged while serving it, and, with
 * LOG_REQUESTS=on, one line when it ends with its route template, status and duration. (pino-http does the same
 * with two child loggers and four listeners per request: measured, a fifth of a GET's rate; this is one and one.)
 */
export function requestLogging(root: PinoRoot, config: AppConfig): Middleware {
  // The request line's fields are the service's own (method, path, route, status, duration), none of them a
  // redacted name or an object that could hold one: it skips path redaction, whose wildcards cost more than the
  // rest of the line (measured: 13 us a line with it, 1.3 us without). The same text as through the request's
  // logger: pino writes a child's bindings where this line's first field, reqId, goes.
  const requestLines = root.child({}, { redact: { paths: [] } });
  return (req, res, next) => {
    const started = performance.now();
    const reqId = assignRequestId(req, res);
    // nestjs-pino (useExisting) makes this the logger of everything that runs for the request.
    (req as { log?: PinoRoot }).log = root.child({ reqId });
    if (config.logRequests) {
      // 'close' comes for every response, finished or cut off.
      res.once('close', () =>
        requestLines.info(
          {
            reqId,
            method: req.method,
            url: req.url,
            route: routeTemplate(req),
            status: res.statusCode,
            duration_ms: Math.round(performance.now() - started),
          },
          'request completed',
        ),
      );
    }
    next();
  };
}

/** One application's pino logger and its per-request middleware (mounted first of all, see observability.ts). */
export class AppLogging {
  constructor(
    readonly root: PinoRoot,
    readonly http: Middleware,
  ) {}
}

@Module({
  providers: [
    {
      provide: AppLogging,
      useFactory: async (config: AppConfig) => {
        const root = await createRootLogger(config);
        return new AppLogging(root, requestLogging(root, config));
      },
      inject: [AppConfig],
    },
  ],
  exports: [AppLogging],
})
class AppLoggingModule {}

/**
 * nestjs-pino over that logger: Nest's Logger and PinoLogger write through it, and inside a request through the
 * request's child logger, which carries the request id. `useExisting`: the request middleware is ours (see
 * requestLogging), mounted before the body parser so that even a request refused there gets an id;
 * nestjs-pino only binds the request's logger for the code that serves it.
 * (nestjs-pino keeps the first application's root logger per process, for lines written outside requests.)
 */
export const LoggingModule = LoggerModule.forRootAsync({
  imports: [AppLoggingModule],
  inject: [AppLogging],
  useFactory: (logging: AppLogging) => ({
    pinoHttp: { logger: logging.root },
    useExisting: true,
    // A plain path: Nest mounts it with Express's `use`, one layer that every request passes at once, where a
    // route for every method would be 35 layers on every request's way (measured: about 5% of a GET).
    forRoutes: ['/'],
  }),
});
