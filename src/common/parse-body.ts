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

const capitalized = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

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
 * Turns a request body into a validated DTO: an object whose fields all satisfy the class-validator DTO `type`,
 * with no field it does not declare. Without a `type`, only `{}` is accepted. `subject` names what the body is
 * for in error messages, e.g. "parameters of 'change_master'".
 */
export async function parseBody<T extends object>(
  type: Type<T> | undefined,
  body: unknown,
  subject: string,
): Promise<T> {
  const input = body === undefined ? {} : body; // no body at all means an empty object
  if (!isPlainObject(input)) throw new InvalidRequestError(`${capitalized(subject)} must be a JSON object.`);
  const forbidden = findForbiddenKey(input, '');
  if (forbidden) throw new InvalidRequestError(`Field '${forbidden}' is not allowed.`);
  if (!type) {
    const unknown = Object.keys(input);
    if (unknown.length === 0) return {} as T;
    throw new InvalidRequestError(`${capitalized(subject)} accept no fields; got ${unknown.join(', ')}.`);
  }
  const params = plainToInstance(type, input);
  const errors = await validate(params, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
  });
  if (errors.length > 0) {
    throw new InvalidRequestError(`Invalid ${subject}: ${describe(errors).join('; ')}.`);
  }
  return params;
}
