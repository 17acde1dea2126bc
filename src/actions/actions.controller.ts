import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import type { Actor } from '../audit/actor.js';
import { CurrentActor } from '../auth/current-actor.decorator.js';
import { RequirePermission } from '../auth/require-permission.decorator.js';
import { Permission } from '../auth/permissions.js';
import { ActionsService } from './actions.service.js';
import { toActionDto, type ActionDto, type ActionListDto } from './dto/action.dto.js';

@Controller('v1/cluster/actions')
export class ActionsController {
  constructor(private readonly actions: ActionsService) {}

  @Get()
  @RequirePermission(Permission.ViewStatusOfClusterAction)
  async list(): Promise<ActionListDto> {
    return { actions: (await this.actions.list()).map(toActionDto) };
  }

  @Get(':action')
  @RequirePermission(Permission.ViewStatusOfClusterAction)
  async get(@Param('action') name: string): Promise<ActionDto> {
    return toActionDto(await this.actions.get(name));
  }

  @Post(':action')
  @HttpCode(200)
  @RequirePermission(Permission.StartClusterAction)
  async start(
    @Param('action') name: string,
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
  ): Promise<ActionDto> {
    return toActionDto(await this.actions.start(name, body, actor));
  }

  @Delete(':action')
  @RequirePermission(Permission.CancelClusterAction)
  async cancel(@Param('action') name: string, @CurrentActor() actor: Actor): Promise<ActionDto> {
    return toActionDto(await this.actions.cancel(name, actor));
  }
}
