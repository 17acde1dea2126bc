import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

/**
 * The baseline: a stock NestJS + Express app (default settings) with one GET route. It serves the body the
 * bench hands it, which is the service's own GET-one-action response, so that both send the same bytes.
 */
const BODY: unknown = JSON.parse(process.env.BARE_BODY ?? '{}');

@Controller()
class BareController {
  @Get('action')
  get(): unknown {
    return BODY;
  }
}

@Module({ controllers: [BareController] })
class BareModule {}

const app = await NestFactory.create(BareModule, { logger: ['error', 'warn'] });
// A clean exit on SIGTERM, as the service has, so that a --cpu-prof run writes its profile.
app.enableShutdownHooks();
await app.listen(Number(process.env.PORT), '127.0.0.1');
