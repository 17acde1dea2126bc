import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';
import { configureApp, logLevelsUpTo } from './app.setup.js';
import { AppConfig, describeDatabase } from './config/app-config.js';
import { StartupError } from './config/startup-error.js';

async function bootstrap(): Promise<void> {
  const config = new AppConfig(process.env);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false,
    logger: logLevelsUpTo(config.logLevel),
    // Rethrow start-up errors instead of process.abort(), so that a StartupError ends with its message below.
    abortOnError: false,
  });
  // A graceful stop exits 0 once app.close() has finished (runs recorded, store closed) instead of re-raising
  // the signal.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  configureApp(app, config);
  await app.listen(config.port);
  new Logger('Bootstrap').log(
    `Listening on port ${config.port} (store: ${describeDatabase(config.database)})`,
  );
}

bootstrap().catch((error: unknown) => {
  if (!(error instanceof StartupError)) throw error;
  console.error(`cluster-actions: ${error.message}`);
  process.exit(1);
});
