import type { NestExpressApplication } from '@nestjs/platform-express';
import { LOG_LEVELS, type LogLevel } from './config/app-config.js';
import { answerClientErrorsAsJson } from './errors/client-error.handler.js';
import { HttpExceptionFilter } from './errors/http-exception.filter.js';
import { useObservability } from './observability/observability.js';

export const BODY_LIMIT = '1mb';

/** The HTTP set-up shared by main.ts and the e2e tests, so that tests exercise what production serves. */
export function configureApp(app: NestExpressApplication): NestExpressApplication {
  useObservability(app);
  app.disable('x-powered-by');
  app.set('etag', false);
  // Bodies are JSON whatever their Content-Type says (as Redis Enterprise clients and `curl -d` send them).
  // Not strict: a JSON scalar is valid JSON, refused later with a clearer message than a parse error.
  app.useBodyParser('json', { limit: BODY_LIMIT, type: () => true, strict: false });
  app.useGlobalFilters(new HttpExceptionFilter());
  answerClientErrorsAsJson(app.getHttpServer());
  return app;
}

/** Nest's logger takes every level up to the chosen one. */
export function logLevelsUpTo(level: LogLevel): LogLevel[] {
  return LOG_LEVELS.slice(0, LOG_LEVELS.indexOf(level) + 1);
}
