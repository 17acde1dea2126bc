import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Actor } from '../audit/actor.js';
import type { User } from './user.js';
import { clientAddress, type AuthenticatedRequest } from './permissions.guard.js';

/**
 * The authenticated user behind the request, for the audit trail and the rules that depend on who asks. Only on
 * routes that need a permission.
 */
export const CurrentActor = createParamDecorator((_data: unknown, context: ExecutionContext): Actor => {
  // What switchToHttp().getRequest() returns, without the closures that call allocates on every request.
  const request = context.getArgByIndex<AuthenticatedRequest>(0);
  const user = request.user!;
  return { email: user.email, role: user.role, address: clientAddress(request) };
});

/** The signed-in user itself, on a route that checks credentials. */
export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): User => context.getArgByIndex<AuthenticatedRequest>(0).user!,
);
