import { Injectable, MethodNotAllowedException, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Application, Request, Response } from 'express';

/**
 * 405 with `Allow`, instead of 404, for a path that the service serves with other methods. Nest calls
 * onModuleInit after it has registered every controller's routes and before its not-found handler, so this adds
 * one fallback per route path behind the real routes, read from Express's router: a request that a route
 * handles never reaches it, and an unknown path still falls through to 404.
 */
@Injectable()
export class MethodNotAllowedRoutes implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const app = this.adapterHost.httpAdapter.getInstance<Application>();
    const methodsByPath = new Map<string, Set<string>>();
    for (const { route } of app.router.stack) {
      if (!route) continue; // middleware
      const methods = methodsByPath.get(route.path) ?? new Set<string>();
      for (const layer of route.stack) methods.add(layer.method.toUpperCase());
      methodsByPath.set(route.path, methods);
    }
    for (const [path, methods] of methodsByPath) {
      const allow = [...methods].join(', ');
      app.all(path, (_request: Request, response: Response) => {
        response.setHeader('Allow', allow);
        throw new MethodNotAllowedException();
      });
    }
  }
}

@Module({ providers: [MethodNotAllowedRoutes] })
export class MethodNotAllowedModule {}
