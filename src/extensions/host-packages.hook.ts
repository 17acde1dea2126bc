// A module resolution hook (node:module `register`), run on Node's loader thread: the packages an extension shares
// with the service resolve to the service's own copies, wherever the extension is installed. One copy each is what
// makes an extension work: its handlers must extend the service's ClusterActionHandler, inject its ClusterControl,
// and declare params with the class-validator whose metadata the service reads.
import type { InitializeHook, ResolveHook } from 'node:module';

/** The packages an extension uses from the service (its peer dependencies), and their subpaths. */
export const HOST_PACKAGES = [
  'cluster-actions',
  '@nestjs/common',
  '@nestjs/core',
  '@nestjs/swagger',
  'class-validator',
  'class-transformer',
  'reflect-metadata',
  'rxjs',
];

let hostUrl: string | undefined;

/** `data` is a URL inside the service (its main module): where shared packages are resolved from. */
export const initialize: InitializeHook<string> = (data) => {
  hostUrl = data;
};

const isHostPackage = (specifier: string): boolean =>
  HOST_PACKAGES.some((name) => specifier === name || specifier.startsWith(`${name}/`));

export const resolve: ResolveHook = (specifier, context, nextResolve) =>
  hostUrl !== undefined && isHostPackage(specifier)
    ? nextResolve(specifier, { ...context, parentURL: hostUrl })
    : nextResolve(specifier, context);
