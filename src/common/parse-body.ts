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
const MAX_BODY_DEPTH = 32;

/** A container's children, each with its path in the body and, for an object's field, its key. */
function* childrenOf(
  container: object,
  path: string,
): Generator<{ value: unknown; path: string; key?: string }> {
  if (Array.isArray(container)) {
    for (const [index, value] of container.entries()) yield { value, path: `${path}[${index}]` };
  } else {
    for (const [key, value] of Object.entries(container)) {
      yield { value, key, path: path ? `${path}.${key}` : key };
    }
  }
}

/**
 * Finds a forbidden key, or a nesting deeper than MAX_BODY_DEPTH, as a sentence. Depth-first without recursion:
 * the stack holds the containers being walked (at most MAX_BODY_DEPTH), so a body nested thousands of levels
 * deep is an answer, not a RangeError.
 */
function findBodyProblem(body: object): string | undefined {
  const walking = [childrenOf(body, '')];
  while (walking.length > 0) {
    const next = walking[walking.length - 1].next();
    if (next.done) {
      walking.pop();
      continue;
    }
    const { value, path, key } = next.value;
    if (key !== undefined && FORBIDDEN_KEYS.has(key)) return `Field '${path}' is not allowed.`;
    if (typeof value !== 'object' || value === null) continue;
    if (walking.length === MAX_BODY_DEPTH) {
      return `The request body nests deeper than ${MAX_BODY_DEPTH} levels.`;
    }
    walking.push(childrenOf(value, path));
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
