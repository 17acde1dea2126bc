import type { Server } from 'node:http';
import { HttpAdapterHost } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { JsonBodyGuard } from './common/json-body.guard.js';
import { LOG_LEVELS, type AppConfig, type HttpSettings, type LogLevel } from './config/app-config.js';
import { answerProtocolErrorsAsJson } from './errors/client-error.handler.js';
import { HttpExceptionFilter } from './errors/http-exception.filter.js';
import { useObservability } from './observability/observability.js';
import { setUpOpenApi } from './openapi/openapi.js';
import { TrailingRoutes } from './transport/trailing-routes.js';
import { serveConsole } from './transport/web-console.js';

/** The HTTP set-up shared by main.ts and the e2e tests, so that tests exercise what production serves. */
export function configureApp(app: NestExpressApplication, config: AppConfig): NestExpressApplication {
  useObservability(app);
  app.disable('x-powered-by');
  app.set('etag', false);
  // Which X-Forwarded-For hops Express believes for `req.ip`, the client address (see clientAddress).
  app.set('trust proxy', config.http.trustProxy);
  const server = app.getHttpServer();
  limitClients(server, config.http);
  app.use(answerProtocolErrorsAsJson(server));
  // Refuses state-changing requests that a browser sends for a page of another site (Sec-Fetch-Site, or Origin
  // against Host): they would carry its cached Basic credentials, and bodies are JSON whatever their
  // Content-Type. Clients that are not browsers send neither header. Runs before routing and body parsing.
  app.enableCsrfProtection({ trustedOrigins: [...config.http.allowedOrigins] });
  // The body is read once the permission guard (an APP_GUARD, registered when the app was created, so it runs
  // first) has let the request through, not by a body-parser middleware before it.
  app.useGlobalGuards(new JsonBodyGuard(app.get(HttpAdapterHost).httpAdapter));
  app.useGlobalFilters(new HttpExceptionFilter());
  // Behind the API's routes, so that an API request passes none of their layers (see TrailingRoutes).
  app.get(TrailingRoutes).add(() => {
    setUpOpenApi(app, config);
    serveConsole(app);
  });
  return app;
}

/** Bounds what one client can hold: time to send a request, and (all clients together) connections. */
function limitClients(server: Server, settings: HttpSettings): void {
  server.headersTimeout = settings.headersTimeoutSeconds * 1000;
  server.requestTimeout = settings.requestTimeoutSeconds * 1000;
  server.maxConnections = settings.maxConnections;
  // How often Node looks for requests past those timeouts: by default every 30 s, which would let a 2 s
  // timeout run for 32 s. Read when the server starts listening (a createServer option Nest does not pass).
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = 1000;
}

/** Nest's logger takes every level up to the chosen one. */
export function logLevelsUpTo(level: LogLevel): LogLevel[] {
  return LOG_LEVELS.slice(0, LOG_LEVELS.indexOf(level) + 1);
}
