import type { Type } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';
import { InvalidRequestError } from '../errors/domain-error.js';

/** Keys that would reach an object's prototype machinery if copied onto an instance. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * How deeply a body may nest objects and arrays. Every body the service accepts is one or two levels deep; the
 * bound keeps validation and transformation (recursive code) far from the stack limit.
 */
export const MAX_BODY_DEPTH = 32;

/**
 * Finds a forbidden key, or a nesting deeper than MAX_BODY_DEPTH, without recursion: an explicit stack, so a
 * body nested thousands of levels deep is an answer, not a RangeError. Returns the problem as a sentence.
 */
function findBodyProblem(body: Record<string, unknown>): string | undefined {
  const pending: { value: unknown; path: string; depth: number }[] = [{ value: body, path: '', depth: 1 }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { value, path, depth } = next;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > MAX_BODY_DEPTH) return `The request body nests deeper than ${MAX_BODY_DEPTH} levels.`;
    if (Array.isArray(value)) {
      value.forEach((item, index) =>
        pending.push({ value: item, path: `${path}[${index}]`, depth: depth + 1 }),
      );
    } else {
      for (const [key, item] of Object.entries(value)) {
        const keyPath = path ? `${path}.${key}` : key;
        if (FORBIDDEN_KEYS.has(key)) return `Field '${keyPath}' is not allowed.`;
        pending.push({ value: item, path: keyPath, depth: depth + 1 });
      }
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
  const problem = findBodyProblem(input);
  if (problem) throw new InvalidRequestError(problem);
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
