import {
  applyDecorators,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Param,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import {
  ApiBody,
  ApiExtraModels,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { Response } from 'express';
import type { Actor } from '../audit/actor.js';
import { CurrentActor } from '../auth/current-actor.decorator.js';
import { RequirePermission } from '../auth/require-permission.decorator.js';
import { Permission } from '../auth/permissions.js';
import { whenClientGone } from '../common/client-gone.js';
import { ApiErrors, BODY_ERRORS } from '../openapi/api-errors.decorator.js';
import { ActionEvents } from './action-events.js';
import { ValidActionParams, type ActionParams } from './action-params.pipe.js';
import { ActionsService } from './actions.service.js';
import { IDEMPOTENCY_KEY_HEADER, IdempotencyKeyHeader } from './idempotency-key.js';
import { ActionDto, ActionListDto, toActionDto } from './dto/action.dto.js';
import { DryRunDto, parseDryRun, toDryRunDto } from './dto/dry-run.dto.js';
import { parseWait, RunWaiter } from './run-waiter.js';

/** Where the actions are served; the OpenAPI document adds one path per action type below it. */
export const ACTIONS_PATH = 'v1/cluster/actions';

const ACTION_NOT_FOUND = { 404: '`action_not_found`: the action has no stored run' };

/** The OpenAPI description shared by both event streams. */
function StreamDocs(): MethodDecorator {
  return applyDecorators(
    ApiHeader({ name: 'Last-Event-ID', required: false, description: 'resume after this event' }),
    ApiOkResponse({
      description:
        '`event: status|progress|step`, `data:` the action object, `id:` `<source>-<sequence>`; a comment every 15 s',
      content: { 'text/event-stream': { schema: { type: 'string' } } },
    }),
  );
}

@ApiTags('actions')
@Controller(ACTIONS_PATH)
export class ActionsController {
  constructor(
    private readonly actions: ActionsService,
    private readonly waiter: RunWaiter,
    private readonly events: ActionEvents,
  ) {}

  @Get()
  @RequirePermission(Permission.ViewStatusOfClusterAction)
  @ApiOkResponse({ type: ActionListDto })
  async list(): Promise<ActionListDto> {
    return { actions: (await this.actions.list()).map(toActionDto) };
  }

  // Before ':action', which would take `events` for an action name.
  @Get('events')
  @RequirePermission(Permission.ViewStatusOfClusterAction)
  @ApiOperation({ summary: "Server-sent events of every action's changes" })
  @StreamDocs()
  streamAll(
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res() response: Response,
  ): Promise<void> {
    return this.events.stream(response, { lastEventId });
  }

  @Get(':action/events')
  @RequirePermission(Permission.ViewStatusOfClusterAction)
  @ApiOperation({ summary: "Server-sent events of one action's changes" })
  @StreamDocs()
  @ApiErrors({ 400: '`unknown_action`: no such action type' })
  streamOne(
    @Param('action') name: string,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res() response: Response,
  ): Promise<void> {
    return this.events.stream(response, { name, lastEventId });
  }

  @Get(':action')
  @RequirePermission(Permission.ViewStatusOfClusterAction)
  @ApiOkResponse({ type: ActionDto })
  @ApiQuery({
    name: 'wait',
    required: false,
    description:
      'seconds (0 to 60, up to three decimals) to wait for the run to be terminal; answers its state then or at the timeout',
  })
  @ApiErrors({ ...ACTION_NOT_FOUND, 400: '`invalid_request`: wait is not a number of seconds from 0 to 60' })
  async get(
    @Param('action') name: string,
    @Query('wait') wait: unknown,
    @Res({ passthrough: true }) response: Response,
  ): Promise<ActionDto | undefined> {
    const waitMs = parseWait(wait);
    const run =
      waitMs === undefined
        ? await this.actions.get(name)
        : await this.waiter.wait(name, waitMs, whenClientGone(response));
    // Nothing when the client went away while waiting.
    return run && toActionDto(run);
  }

  @Post(':action')
  @HttpCode(200)
  @RequirePermission(Permission.StartClusterAction)
  @ApiOperation({
    summary: 'Start a run of any action type',
    description:
      'Each action type also has its own path below /v1/cluster/actions, with its parameters schema.',
  })
  @ApiParam({ name: 'action', description: 'the action type, e.g. `change_master`' })
  @ApiBody({
    required: false,
    description: "the action type's parameters",
    schema: { type: 'object' },
  })
  @ApiQuery({
    name: 'dry_run',
    required: false,
    enum: ['true', 'false'],
    description:
      '`true`: check the request (parameters, precheck, preconditions, a run in progress) and answer what a ' +
      'start would do, creating nothing',
  })
  @ApiHeader({
    name: IDEMPOTENCY_KEY_HEADER,
    required: false,
    description:
      '1 to 255 visible ASCII characters, unique per request: a retry with the same key and body within 24 h ' +
      'answers the run it started (as it is now) instead of starting another one',
  })
  @ApiExtraModels(ActionDto, DryRunDto)
  @ApiOkResponse({
    description:
      'the new run, `queued`; for a retry with an Idempotency-Key, the run the key started; with ' +
      '`dry_run=true`, whether it would start and what blocks it',
    schema: { oneOf: [{ $ref: getSchemaPath(ActionDto) }, { $ref: getSchemaPath(DryRunDto) }] },
  })
  @ApiErrors({
    ...BODY_ERRORS,
    400:
      '`unknown_action`: no such action type; `invalid_request`: the parameters do not match its schema, ' +
      'dry_run is not true or false, or the Idempotency-Key is not 1 to 255 visible ASCII characters',
    404: "the action type's precheck found no such target, e.g. `node_not_found`",
    406: "the action type's precheck refused the target's state, e.g. `node_not_active`",
    409: '`action_in_progress`: a run of this action is active; `precondition_failed`: a precondition in the parameters does not hold (e.g. `expected_master_uid`); or a precheck conflict',
    422: '`idempotency_key_reused`: the Idempotency-Key was sent with another action or other parameters',
  })
  async start(
    @ValidActionParams() { name, params }: ActionParams,
    @Query('dry_run') dryRun: unknown,
    @IdempotencyKeyHeader() idempotencyKey: string | undefined,
    @CurrentActor() actor: Actor,
  ): Promise<ActionDto | DryRunDto> {
    // A dry run creates nothing, so there is nothing for a key to name.
    if (parseDryRun(dryRun)) return toDryRunDto(await this.actions.dryRun({ name, params, actor }));
    return toActionDto(await this.actions.start({ name, params, actor, idempotencyKey }));
  }

  @Delete(':action')
  @RequirePermission(Permission.CancelClusterAction)
  @ApiOkResponse({ type: ActionDto, description: 'the run, cancelled or (when it had finished) now hidden' })
  @ApiErrors({
    ...ACTION_NOT_FOUND,
    409: '`action_not_cancellable`: past its point of no return; `action_in_progress`: it kept changing',
  })
  async cancel(@Param('action') name: string, @CurrentActor() actor: Actor): Promise<ActionDto> {
    return toActionDto(await this.actions.cancel(name, actor));
  }
}
