import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';
import { configureApp, logLevelsUpTo } from './app.setup.js';
import { AppConfig } from './config/app-config.js';
import { StartupError } from './config/startup-error.js';

async function bootstrap(): Promise<void> {
  const config = new AppConfig(process.env);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false,
    logger: logLevelsUpTo(config.logLevel),
    // Held until configureApp hands Nest the pino logger, so that start-up lines are JSON lines too.
    bufferLogs: true,
    // Rethrow start-up errors instead of process.abort(), so that a StartupError ends with its message below.
    abortOnError: false,
  });
  // A graceful stop exits 0 once app.close() has finished (runs recorded, store closed) instead of re-raising
  // the signal.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  configureApp(app);
  await app.listen(config.port);
  const store = config.database.driver === 'sqlite' ? `SQLite file ${config.database.path}` : 'memory';
  new Logger('Bootstrap').log(`Listening on port ${config.port} (store: ${store})`);
}

bootstrap().catch((error: unknown) => {
  if (!(error instanceof StartupError)) throw error;
  console.error(`cluster-actions: ${error.message}`);
  process.exit(1);
});
