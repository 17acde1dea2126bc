import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiParam, ApiTags } from '@nestjs/swagger';
import { Permission } from '../auth/permissions.js';
import { RequirePermission } from '../auth/require-permission.decorator.js';
import { BodyValidationPipe } from '../common/body-validation.pipe.js';
import { ApiErrors } from '../openapi/api-errors.decorator.js';
import { ActionHistory } from './action-history.js';
import { ACTIONS_PATH } from './actions.controller.js';
import { toActionDto } from './dto/action.dto.js';
import { HistoryPageDto, HistoryQueryDto } from './dto/history.dto.js';

/** Every kept run of one action type, apart from the status routes (which show its latest run only). */
@ApiTags('actions')
@Controller(`${ACTIONS_PATH}/:action/history`)
export class ActionHistoryController {
  constructor(private readonly history: ActionHistory) {}

  @Get()
  @RequirePermission(Permission.ViewStatusOfClusterAction)
  @ApiParam({ name: 'action', description: 'the action type, e.g. `change_master`' })
  @ApiOkResponse({ type: HistoryPageDto })
  @ApiErrors({
    400: '`unknown_action`: no such action type; `invalid_request`: a query parameter is unknown or has a bad value, or the cursor is not one a page gave',
  })
  async page(
    @Param('action') name: string,
    @Query(new BodyValidationPipe('history query')) query: HistoryQueryDto,
  ): Promise<HistoryPageDto> {
    const { runs, nextCursor } = await this.history.page(name, query);
    return { actions: runs.map(toActionDto), next_cursor: nextCursor ?? null };
  }
}
