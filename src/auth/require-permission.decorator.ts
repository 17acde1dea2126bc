import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension, ApiSecurity } from '@nestjs/swagger';
import { ApiErrors } from '../openapi/api-errors.decorator.js';
import type { Permission } from './permissions.js';

export const REQUIRED_PERMISSION = Symbol('required-permission');
export const IS_PUBLIC = Symbol('is-public');
export const SIGNED_IN = Symbol('signed-in');
/** The OpenAPI security scheme of HTTP Basic credentials. */
export const BASIC_AUTH = 'basic';

/** What any route that checks credentials can answer. */
const CREDENTIAL_ERRORS = {
  401: '`unauthorized`: no valid Basic credentials',
  429: '`too_many_login_failures`, `login_checks_busy`: wait `Retry-After` seconds',
  500: '`internal_error`: the service failed, e.g. its store does not answer',
};

/**
 * The permission a route needs. Every route declares one, or is explicitly `@Public()` or `@SignedIn()`: deny
 * by default.
 * The same decorator writes what the OpenAPI document says about it (security, `x-permission`, 401/403/429),
 * so that the document cannot drift from what the guard enforces.
 */
export const RequirePermission = (permission: Permission): MethodDecorator & ClassDecorator =>
  applyDecorators(
    SetMetadata(REQUIRED_PERMISSION, permission),
    ApiSecurity(BASIC_AUTH),
    ApiExtension('x-permission', permission),
    ApiErrors({
      ...CREDENTIAL_ERRORS,
      403: `\`insufficient_permissions\`: the role lacks the \`${permission}\` permission`,
    }),
  );

/** A route that needs no credentials at all. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);

/**
 * A route for any signed-in user, whatever its role (even `none`): it answers only about that user, so no
 * permission guards it; valid credentials still do.
 */
export const SignedIn = (): MethodDecorator & ClassDecorator =>
  applyDecorators(SetMetadata(SIGNED_IN, true), ApiSecurity(BASIC_AUTH), ApiErrors(CREDENTIAL_ERRORS));
