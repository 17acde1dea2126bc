import { MethodNotAllowedException } from '@nestjs/common';
import type { Application, Request, Response } from 'express';

/**
 * 405 with `Allow`, instead of 404, for a path that the service serves with other methods: one fallback per route
 * path, read from Express's router, added behind every route (see TrailingRoutes), so that a request a route
 * handles never reaches it and an unknown path still falls through to Nest's 404.
 */
export function addMethodNotAllowedFallbacks(app: Application): void {
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
