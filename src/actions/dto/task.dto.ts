import { ApiProperty, ApiPropertyOptional, ApiSchema, OmitType } from '@nestjs/swagger';
import type { ActionRun } from '../action-run.js';
import { ActionDto, toActionDto } from './action.dto.js';

/** The statuses a task view shows: pollers written against a real cluster know no `aborted`. */
const TASK_STATUSES = ['queued', 'starting', 'running', 'cancelling', 'cancelled', 'completed', 'failed'];

/**
 * A run as Redis Enterprise's task views (`/v1/actions`, `/v2/actions`) show it: the action object, with
 * `progress` as a string as real clusters send it, and an `aborted` run reported `failed`, its message also in
 * `error` (where redisctl reads it), because such pollers loop forever on a status they do not know.
 */
@ApiSchema({ name: 'Task' })
export class TaskDto extends OmitType(ActionDto, ['status', 'progress'] as const) {
  @ApiProperty({
    enum: TASK_STATUSES,
    description: 'an `aborted` run is `failed` here (its error_code says why)',
  })
  readonly status!: string;
  @ApiProperty({ example: '50', description: '0-100, as a string' })
  readonly progress!: string;
  @ApiPropertyOptional({ description: 'the error message of a failed (or aborted) run' })
  readonly error?: string;
}

@ApiSchema({ name: 'TaskList' })
export class TaskListDto {
  @ApiProperty({ type: [TaskDto], description: 'the active runs and the latest run of each action type' })
  readonly actions!: TaskDto[];
  @ApiProperty({ type: [Object], description: 'always empty: this service has no state machines' })
  readonly 'state-machines'!: never[];
}

export function toTaskDto(run: ActionRun): TaskDto {
  const aborted = run.status === 'aborted';
  return Object.assign(toActionDto(run), {
    status: aborted ? 'failed' : run.status,
    progress: String(run.progress),
    error: run.errorMessage,
  });
}
