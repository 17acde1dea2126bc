import { SetMetadata } from '@nestjs/common';
import type { Permission } from './permissions.js';

export const REQUIRED_PERMISSION = Symbol('required-permission');
export const IS_PUBLIC = Symbol('is-public');

/** The permission a route needs. Every route declares one, or is explicitly `@Public()`: deny by default. */
export const RequirePermission = (permission: Permission): MethodDecorator & ClassDecorator =>
  SetMetadata(REQUIRED_PERMISSION, permission);

/** A route that needs no credentials at all. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);
