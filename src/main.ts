import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Server } from 'node:https';
import { AppModule } from './app.module.js';
import { configureApp, logLevelsUpTo } from './app.setup.js';
import { AppConfig, describeDatabase } from './config/app-config.js';
import { StartupError, StartupLogger } from './config/startup-error.js';
import { loadExtensionModules } from './extensions/extension-modules.js';
import { assertCanListen, authority, CannotListenError, isLoopback } from './transport/listen-address.js';
import { JsonExpressAdapter } from './transport/json-reply.js';
import { TlsCertificates } from './transport/tls-certificates.js';

async function bootstrap(): Promise<void> {
  const config = new AppConfig(process.env);
  const certificates = config.tls && new TlsCertificates(config.tls);
  // Every check an operator can fail comes before the store is opened or the first admin created.
  const httpsOptions = certificates?.load();
  await assertCanListen(config.port, config.host);
  const extensions = await loadExtensionModules(config.extensionModules);
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot(config, extensions),
    new JsonExpressAdapter(),
    {
      bodyParser: false,
      httpsOptions,
      logger: new StartupLogger({ logLevels: logLevelsUpTo(config.logLevel) }),
      // Held until configureApp hands Nest the pino logger, so that start-up lines are JSON lines too.
      bufferLogs: true,
      // Rethrow start-up errors instead of process.abort(), so that a StartupError ends with its message below.
      abortOnError: false,
    },
  );
  // A graceful stop exits 0 once app.close() has finished (runs recorded, store closed) instead of re-raising
  // the signal.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  configureApp(app, config);
  // The port was free a moment ago; another process may still take it first.
  await app.listen(config.port, config.host).catch((error: NodeJS.ErrnoException) => {
    throw error.syscall === 'listen' ? new CannotListenError(config.host, config.port, error) : error;
  });
  const logger = new Logger('Bootstrap');
  const url = `${certificates ? 'https' : 'http'}://${authority(config.host, config.port)}`;
  logger.log(`Listening on ${url} (store: ${describeDatabase(config.database)})`);
  if (extensions.length > 0) {
    logger.log(`Extension modules: ${extensions.map((module) => module.name).join(', ')}.`);
  }
  if (certificates) {
    logger.log(
      `Serving the TLS certificate ${certificates.describe()}; SIGHUP or a change of the files reloads it.`,
    );
    certificates.reloadInto(app.getHttpServer() as Server, logger);
  } else if (!isLoopback(config.host)) {
    logger.warn(
      `Serving plain HTTP on ${authority(config.host, config.port)}: passwords (Basic auth) cross the network in ` +
        `clear text. Set TLS_CERT_FILE and TLS_KEY_FILE to serve HTTPS, or HOST=127.0.0.1 to listen on loopback only.`,
    );
  }
}

bootstrap().catch((error: unknown) => {
  if (!(error instanceof StartupError)) throw error;
  console.error(`cluster-actions: ${error.message}`);
  process.exit(1);
});
