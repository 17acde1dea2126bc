import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import type { INestApplication } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { Permission } from '../../src/auth/permissions.js';
import { IS_PUBLIC, REQUIRED_PERMISSION, SIGNED_IN } from '../../src/auth/require-permission.decorator.js';

export interface DiscoveredRoute {
  /** e.g. `GET /v1/cluster/actions/:action` */
  readonly route: string;
  readonly permission?: Permission;
  readonly isPublic: boolean;
  /** Open to any valid credentials, whatever the role. */
  readonly signedIn: boolean;
}

const joinPath = (...parts: string[]): string =>
  '/' +
  parts
    .flatMap((part) => part.split('/'))
    .filter(Boolean)
    .join('/');

/** Every route the application serves, with the access it declares, read from Nest's own metadata. */
export function discoverRoutes(app: INestApplication): DiscoveredRoute[] {
  const scanner = app.get(MetadataScanner);
  return app
    .get(DiscoveryService)
    .getControllers()
    .flatMap(({ metatype, instance }) => {
      if (!metatype || !instance) return [];
      // A controller may serve several prefixes (e.g. v1 and v2 of the same views): one route each.
      const prefixes = [Reflect.getMetadata(PATH_METADATA, metatype) as string | string[]].flat();
      const prototype = Object.getPrototypeOf(instance) as Record<string, object>;
      return scanner.getAllMethodNames(prototype).flatMap((name) => {
        const handler = prototype[name];
        const path = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
        if (path === undefined) return [];
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
        const read = <T>(key: symbol): T | undefined =>
          (Reflect.getMetadata(key, handler) ?? Reflect.getMetadata(key, metatype)) as T | undefined;
        return prefixes.map((prefix) => ({
          route: `${method} ${joinPath(prefix, path)}`,
          permission: read<Permission>(REQUIRED_PERMISSION),
          isPublic: read<boolean>(IS_PUBLIC) === true,
          signedIn: read<boolean>(SIGNED_IN) === true,
        }));
      });
    });
}
