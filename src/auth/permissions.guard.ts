import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { InsufficientPermissionsError } from './auth.errors.js';
import { AuthService } from './auth.service.js';
import { roleHasPermission, type Permission } from './permissions.js';
import { IS_PUBLIC, REQUIRED_PERMISSION, SIGNED_IN } from './require-permission.decorator.js';
import type { User } from './user.js';

export interface AuthenticatedRequest extends Request {
  user?: User;
}

/**
 * The client's address: what throttling and the audit trail key on. The socket's peer, or behind trusted proxies
 * (TRUST_PROXY, Express's `trust proxy`) the address they forwarded in X-Forwarded-For.
 */
export const clientAddress = (request: Request): string => request.ip ?? 'unknown';

/** What a route declares, on its handler or its controller. */
interface RouteAccess {
  readonly isPublic: boolean;
  /** Any valid credentials will do, whatever the role. */
  readonly signedIn: boolean;
  readonly permission?: Permission;
}

const AUTHORIZATION = 'authorization';

/**
 * The Authorization header if it was sent exactly once: Node keeps only the first of repeated ones, and
 * ambiguous credentials are no credentials. Scans rawHeaders, because `headersDistinct` builds a second copy
 * of every header on every request (measured: about 5% of an authenticated GET).
 */
function singleAuthorization(request: Request): string | undefined {
  const raw = request.rawHeaders;
  let found: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].length !== AUTHORIZATION.length || raw[i].toLowerCase() !== AUTHORIZATION) continue;
    if (found !== undefined) return undefined;
    found = raw[i + 1];
  }
  return found;
}

/**
 * The global guard: authenticates every request that is not `@Public()` and checks the route's permission
 * against the role matrix. A route that declares no permission is open to nobody.
 */
@Injectable()
export class PermissionsGuard implements CanActivate {
  /**
   * Route metadata is fixed once the app is built, so it is read once per route, not per request.
   * Keyed by controller, then handler: one handler inherited by two controllers may be declared differently.
   */
  private readonly routes = new WeakMap<object, WeakMap<object, RouteAccess>>();

  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const access = this.accessOf(context);
    if (access.isPublic) return true;
    // What switchToHttp().getRequest() returns, without the closures that call allocates on every request.
    return this.authorize(context.getArgByIndex<AuthenticatedRequest>(0), access);
  }

  private async authorize(request: AuthenticatedRequest, access: RouteAccess): Promise<boolean> {
    const user = await this.auth.authenticate(singleAuthorization(request), clientAddress(request));
    request.user = user;
    if (access.signedIn) return true;
    const { permission } = access;
    if (!permission) throw new InsufficientPermissionsError();
    if (!roleHasPermission(user.role, permission)) throw new InsufficientPermissionsError(permission);
    return true;
  }

  private accessOf(context: ExecutionContext): RouteAccess {
    const controller = context.getClass();
    const handler = context.getHandler();
    let handlers = this.routes.get(controller);
    if (!handlers) this.routes.set(controller, (handlers = new WeakMap()));
    let access = handlers.get(handler);
    if (!access) {
      const targets = [handler, controller];
      access = {
        isPublic: this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC, targets) ?? false,
        signedIn: this.reflector.getAllAndOverride<boolean | undefined>(SIGNED_IN, targets) ?? false,
        permission: this.reflector.getAllAndOverride<Permission | undefined>(REQUIRED_PERMISSION, targets),
      };
      handlers.set(handler, access);
    }
    return access;
  }
}
