import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Actor } from '../audit/actor.js';
import type { AuthenticatedRequest } from './permissions.guard.js';

/** The authenticated user behind the request, for the audit trail. Only on routes that need a permission. */
export const CurrentActor = createParamDecorator((_data: unknown, context: ExecutionContext): Actor => {
  const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
  return { email: request.user!.email, address: request.socket.remoteAddress ?? 'unknown' };
});
