import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Permission } from '../auth/permissions.js';
import { RequirePermission } from '../auth/require-permission.decorator.js';
import { ApiErrors } from '../openapi/api-errors.decorator.js';
import { ActionHistory } from './action-history.js';
import { ActionsService } from './actions.service.js';
import { TaskDto, TaskListDto, toTaskDto } from './dto/task.dto.js';

/**
 * Redis Enterprise's task views, for clients written against a real cluster (redisctl polls them): the same
 * runs as the cluster actions routes, shown as those clients expect (see TaskDto). v1 and v2 answer alike.
 */
@ApiTags('tasks')
@Controller(['v1/actions', 'v2/actions'])
export class TaskViewsController {
  constructor(
    private readonly actions: ActionsService,
    private readonly history: ActionHistory,
  ) {}

  /** The latest run of each action type; an active run is always its type's latest, so every one is here. */
  @Get()
  @RequirePermission(Permission.ViewStatusOfClusterAction)
  @ApiOkResponse({ type: TaskListDto })
  async list(): Promise<TaskListDto> {
    return { actions: (await this.actions.list()).map(toTaskDto), 'state-machines': [] };
  }

  @Get(':action_uid')
  @RequirePermission(Permission.ViewStatusOfClusterAction)
  @ApiOkResponse({ type: TaskDto })
  @ApiErrors({ 404: '`action_not_found`: no kept run has this uid' })
  async get(@Param('action_uid') actionUid: string): Promise<TaskDto> {
    return toTaskDto(await this.history.run(actionUid));
  }
}
