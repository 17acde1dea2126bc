import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, Length, Matches } from 'class-validator';
import { ACTION_STATUSES, type ActionStatus } from '../action-lifecycle.js';
import { ActionDto } from './action.dto.js';

/** The history page size when the client gives none, and the largest it may ask for. */
export const DEFAULT_HISTORY_LIMIT = 20;
export const MAX_HISTORY_LIMIT = 100;

const ISO_8601 = { strict: true, strictSeparator: true } as const;
/** A date, or a date and time with its offset: a time without one would be read in the server's time zone. */
const WITH_OFFSET = /^\d{4}-\d{2}-\d{2}(?:T.+(?:Z|[+-]\d{2}:?\d{2}))?$/i;
const withOffset = (name: string) => ({
  message: `${name} must be a date, or a date and time with its offset`,
});

/**
 * The query of `GET /v1/cluster/actions/{action}/history`, as the URL gives it (strings). A parameter given
 * twice arrives as an array and is refused like any other bad value; an unknown parameter is refused too.
 */
export class HistoryQueryDto {
  @ApiPropertyOptional({ enum: ACTION_STATUSES, description: 'only runs in this status' })
  @IsOptional()
  @IsIn(ACTION_STATUSES)
  readonly status?: ActionStatus;

  @ApiPropertyOptional({ description: 'only runs started by this user (email, exactly as stored)' })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  readonly started_by?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'only runs created at or after this time' })
  @IsOptional()
  @IsISO8601(ISO_8601)
  @Matches(WITH_OFFSET, withOffset('since'))
  readonly since?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'only runs created before this time' })
  @IsOptional()
  @IsISO8601(ISO_8601)
  @Matches(WITH_OFFSET, withOffset('until'))
  readonly until?: string;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_HISTORY_LIMIT,
    default: DEFAULT_HISTORY_LIMIT,
  })
  @IsOptional()
  @Matches(/^(?:[1-9]\d?|100)$/, { message: `limit must be a whole number from 1 to ${MAX_HISTORY_LIMIT}` })
  readonly limit?: string;

  @ApiPropertyOptional({ description: "the previous page's `next_cursor`" })
  @IsOptional()
  @IsString()
  readonly cursor?: string;
}

@ApiSchema({ name: 'ActionHistory' })
export class HistoryPageDto {
  @ApiProperty({ type: [ActionDto], description: 'runs of the action, newest first, hidden ones included' })
  readonly actions!: ActionDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'pass as `cursor` for the next page; null at the end',
  })
  readonly next_cursor!: string | null;
}
