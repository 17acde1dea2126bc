import type { INestApplication, Type } from '@nestjs/common';
import {
  DocumentBuilder,
  SwaggerModule,
  type OpenAPIObject,
  type OperationObject,
  type ParameterObject,
  type ReferenceObject,
  type SchemaObject,
} from '@nestjs/swagger';
import { validationMetadatasToSchemas } from 'class-validator-jsonschema';
import { ActionRegistry } from '../actions/action-registry.js';
import { ACTIONS_PATH } from '../actions/actions.controller.js';
import { BASIC_AUTH } from '../auth/require-permission.decorator.js';
import type { AppConfig } from '../config/app-config.js';

const SCHEMAS = '#/components/schemas/';

/**
 * Serves the OpenAPI 3 document at /docs-json and Swagger UI at /docs, outside Nest's router (so no guard
 * applies: both are public), unless OPENAPI=off. The document is built on its first request, once every module
 * has registered its action types.
 */
export function setUpOpenApi(app: INestApplication, config: AppConfig): void {
  if (!config.openApi) return;
  let document: OpenAPIObject | undefined;
  SwaggerModule.setup('docs', app, () => (document ??= buildDocument(app)), {
    jsonDocumentUrl: 'docs-json',
    raw: ['json'],
  });
}

function buildDocument(app: INestApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('cluster-actions')
      .setDescription(
        'Redis Enterprise-style cluster actions. Every route but /health needs HTTP Basic credentials and ' +
          'the permission in its `x-permission`; every error answer is `{error_code, description}`.',
      )
      .addBasicAuth({ type: 'http', scheme: 'basic' }, BASIC_AUTH)
      .build(),
  );
  const schemas = (document.components ??= {}).schemas ?? {};
  // Body DTOs are class-validator classes: their schemas come from their validation rules (Nest's own schemas
  // of them would be empty, since they carry no @ApiProperty), and parseBody refuses unknown fields.
  for (const [name, schema] of Object.entries(validationMetadatasToSchemas({ refPointerPrefix: SCHEMAS }))) {
    schemas[name] = { ...schema, additionalProperties: false } as SchemaObject;
  }
  document.components.schemas = schemas;
  addActionTypes(document, app.get(ActionRegistry), schemas);
  return document;
}

/**
 * One path per registered action type, e.g. /v1/cluster/actions/change_master: the generic POST with the
 * `action` parameter fixed and the body schema of the type's params DTO.
 */
function addActionTypes(
  document: OpenAPIObject,
  registry: ActionRegistry,
  schemas: Record<string, SchemaObject | ReferenceObject>,
): void {
  const generic = document.paths[`/${ACTIONS_PATH}/{action}`].post as OperationObject;
  for (const name of registry.names()) {
    const params = registry.get(name)?.params;
    document.paths[`/${ACTIONS_PATH}/${name}`] = {
      post: {
        ...generic,
        operationId: `${generic.operationId}_${name}`,
        summary: `Start ${name}`,
        description: undefined,
        parameters: generic.parameters?.filter(
          (parameter: ParameterObject | ReferenceObject) =>
            !('name' in parameter) || parameter.name !== 'action',
        ),
        requestBody: {
          required: false,
          content: { 'application/json': { schema: paramsSchema(params, schemas) } },
        },
      },
    };
  }
}

/** A $ref to the params DTO's schema, or the empty object an action type without params accepts. */
function paramsSchema(
  params: Type<object> | undefined,
  schemas: Record<string, SchemaObject | ReferenceObject>,
): SchemaObject | ReferenceObject {
  if (!params) return { type: 'object', additionalProperties: false };
  if (!schemas[params.name]) {
    throw new Error(`No schema for ${params.name}: a params DTO needs class-validator decorators.`);
  }
  return { $ref: `${SCHEMAS}${params.name}` };
}
