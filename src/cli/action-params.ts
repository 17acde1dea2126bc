import { usageError } from './exit-codes.js';

/**
 * An action's parameters from `key=value` words: the value as a string (`node_uid=2` gives `"2"`), or, written
 * `key:=value`, as JSON (`force:=true`, `nodes:=[1,2]`).
 */
export function parseActionParams(words: readonly string[]): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const word of words) {
    const equals = word.indexOf('=');
    if (equals <= 0) throw usageError(`'${word}' is not key=value (or key:=json)`);
    const asJson = word[equals - 1] === ':';
    const key = word.slice(0, asJson ? equals - 1 : equals);
    const raw = word.slice(equals + 1);
    if (!key) throw usageError(`'${word}' has no key`);
    if (Object.hasOwn(params, key)) throw usageError(`'${key}' is given twice`);
    params[key] = asJson ? parseJson(key, raw) : raw;
  }
  return params;
}

function parseJson(key: string, raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw usageError(`${key}:= takes JSON, and '${raw}' is not (a string is key=value)`);
  }
}
