import type { Type } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';
import { InvalidRequestError } from '../errors/domain-error.js';

/** Keys that would reach an object's prototype machinery if copied onto an instance. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function findForbiddenKey(value: unknown, path: string): string | undefined {
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = findForbiddenKey(item, `${path}[${index}]`);
      if (found) return found;
    }
  } else if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      const keyPath = path ? `${path}.${key}` : key;
      if (FORBIDDEN_KEYS.has(key)) return keyPath;
      const found = findForbiddenKey(item, keyPath);
      if (found) return found;
    }
  }
  return undefined;
}

function describe(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) =>
      parent ? message.replace(error.property, path) : message,
    );
    return [...own, ...describe(error.children ?? [], path)];
  });
}

/**
 * Turns a POST body into an action's validated params: an object whose fields all satisfy the action's
 * class-validator DTO, with no field the DTO does not declare. An action without a DTO takes only `{}`.
 */
export async function parseActionParams(
  actionName: string,
  paramsType: Type<object> | undefined,
  body: unknown,
): Promise<object> {
  const input = body === undefined ? {} : body; // no body at all means no parameters
  if (!isPlainObject(input)) {
    throw new InvalidRequestError(`The body of '${actionName}' must be a JSON object.`);
  }
  const forbidden = findForbiddenKey(input, '');
  if (forbidden) throw new InvalidRequestError(`Field '${forbidden}' is not allowed.`);
  if (!paramsType) {
    const unknown = Object.keys(input);
    if (unknown.length === 0) return {};
    throw new InvalidRequestError(`Action '${actionName}' takes no parameters; got ${unknown.join(', ')}.`);
  }
  const params = plainToInstance(paramsType, input);
  const errors = await validate(params, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
  });
  if (errors.length > 0) {
    throw new InvalidRequestError(`Invalid parameters for '${actionName}': ${describe(errors).join('; ')}.`);
  }
  return params;
}
