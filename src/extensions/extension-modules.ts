import type { Type } from '@nestjs/common';
import { MODULE_METADATA } from '@nestjs/common/constants.js';
import { register } from 'node:module';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { StartupError } from '../config/startup-error.js';

/** An EXTENSION_MODULES entry that cannot be used: start-up stops with this line. */
export class ExtensionModuleError extends StartupError {
  constructor(specifier: string, problem: string) {
    super(`Extension module '${specifier}' (EXTENSION_MODULES) ${problem}`);
  }
}

/** A path (`./`, `../`, `/`) is relative to the working directory; anything else is a package name. */
function importTarget(specifier: string, cwd: string): string {
  const isPath = specifier.startsWith('.') || isAbsolute(specifier);
  return isPath ? pathToFileURL(resolve(cwd, specifier)).href : specifier;
}

/** Whether `value` is a class decorated with `@Module` that declares something (an empty one adds nothing). */
function isNestModule(value: unknown): value is Type {
  return (
    typeof value === 'function' &&
    Object.values(MODULE_METADATA).some((key) => Reflect.hasMetadata(key, value))
  );
}

/**
 * Imports each extension module, in order, and returns the Nest module class each one exports by default.
 * A package name resolves from the service's own node_modules (install the package next to the service). Whatever
 * an extension imports of the packages it shares with the service (HOST_PACKAGES) is the service's own copy.
 */
export async function loadExtensionModules(
  specifiers: readonly string[],
  cwd = process.cwd(),
): Promise<Type[]> {
  if (specifiers.length > 0) register('./host-packages.hook.js', import.meta.url, { data: import.meta.url });
  const modules: Type[] = [];
  for (const specifier of specifiers) {
    let exported: { default?: unknown };
    try {
      exported = (await import(importTarget(specifier, cwd))) as { default?: unknown };
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
      throw new ExtensionModuleError(specifier, `cannot be loaded: ${reason}`);
    }
    if (!isNestModule(exported.default)) {
      throw new ExtensionModuleError(
        specifier,
        'has no Nest module as its default export (export default a class decorated with @Module).',
      );
    }
    modules.push(exported.default);
  }
  return modules;
}
