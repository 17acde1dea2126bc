import { createParamDecorator, Injectable, type ExecutionContext, type PipeTransform } from '@nestjs/common';
import type { Request } from 'express';
import { parseBody } from '../common/parse-body.js';
import { ActionRegistry } from './action-registry.js';

/** A POST to `/v1/cluster/actions/:action` as sent: the action type's name and the body. */
interface ActionRequest {
  readonly name: string;
  readonly body: unknown;
}

/** The parameters of a POST to an action, validated against the params DTO of the action type it names. */
export interface ActionParams {
  readonly name: string;
  readonly params: object;
}

/**
 * The params DTO depends on the `:action` segment, so the body is validated here, where the registry is at
 * hand: 400 `unknown_action` first, then the same checks and `invalid_request` answers as every other body.
 */
@Injectable()
export class ActionParamsPipe implements PipeTransform<ActionRequest, Promise<ActionParams>> {
  constructor(private readonly registry: ActionRegistry) {}

  async transform({ name, body }: ActionRequest): Promise<ActionParams> {
    const action = this.registry.require(name);
    return { name, params: await parseBody(action.params, body, `parameters of '${name}'`) };
  }
}

const actionRequest = createParamDecorator((_data: unknown, context: ExecutionContext): ActionRequest => {
  const request = context.getArgByIndex<Request>(0);
  return { name: request.params.action as string, body: request.body as unknown };
});

/** The action type named by the path and its validated parameters. */
export const ValidActionParams = (): ParameterDecorator => actionRequest(ActionParamsPipe);
