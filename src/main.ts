import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';
import { configureApp, logLevelsUpTo } from './app.setup.js';
import { AppConfig, ConfigError } from './config/app-config.js';

async function bootstrap(): Promise<void> {
  let config: AppConfig;
  try {
    config = new AppConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`cluster-actions: ${error.message}`);
    process.exit(1);
  }
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false,
    logger: logLevelsUpTo(config.logLevel),
  });
  configureApp(app);
  await app.listen(config.port);
  new Logger('Bootstrap').log(`Listening on port ${config.port} (store: ${config.databaseUrl})`);
}

void bootstrap();
