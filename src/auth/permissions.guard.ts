import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { InsufficientPermissionsError } from './auth.errors.js';
import { AuthService } from './auth.service.js';
import { roleHasPermission, type Permission } from './permissions.js';
import { IS_PUBLIC, REQUIRED_PERMISSION } from './require-permission.decorator.js';
import type { User } from './user.js';

export interface AuthenticatedRequest extends Request {
  user?: User;
}

/**
 * The global guard: authenticates every request that is not `@Public()` and checks the route's permission
 * against the role matrix. A route that declares no permission is open to nobody.
 */
@Injectable()
export class PermissionsGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC, targets)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    // Node keeps only the first of repeated Authorization headers; ambiguous credentials are no credentials.
    const authorization = request.headersDistinct.authorization;
    const user = await this.auth.authenticate(authorization?.length === 1 ? authorization[0] : undefined);
    request.user = user;
    const permission = this.reflector.getAllAndOverride<Permission | undefined>(REQUIRED_PERMISSION, targets);
    if (!permission) throw new InsufficientPermissionsError();
    if (!roleHasPermission(user.role, permission)) throw new InsufficientPermissionsError(permission);
    return true;
  }
}
