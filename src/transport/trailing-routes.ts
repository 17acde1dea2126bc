import { Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Application } from 'express';
import { addMethodNotAllowedFallbacks } from '../errors/method-not-allowed.js';

/**
 * Routes that go behind the controllers' routes. Express tries layers in the order they were added, and every
 * API request passed the ones added before Nest registered the controllers (the OpenAPI document, Swagger UI and
 * the console: eleven layers, about 6% of a GET's rate, measured). Nest calls onModuleInit after it has registered
 * every controller's routes and before its not-found handler: the routes added here are registered then, and
 * last the 405 fallbacks, so that they cover these paths too.
 */
@Injectable()
export class TrailingRoutes implements OnModuleInit {
  private readonly registrations: (() => void)[] = [];
  private registered = false;

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  /** `register` adds routes to the app when the controllers' routes are in place (before the app listens). */
  add(register: () => void): void {
    if (this.registered)
      throw new Error('The trailing routes were registered already: add them before app.init().');
    this.registrations.push(register);
  }

  onModuleInit(): void {
    this.registered = true;
    for (const register of this.registrations) register();
    addMethodNotAllowedFallbacks(this.adapterHost.httpAdapter.getInstance<Application>());
  }
}

@Module({ providers: [TrailingRoutes], exports: [TrailingRoutes] })
export class TrailingRoutesModule {}
