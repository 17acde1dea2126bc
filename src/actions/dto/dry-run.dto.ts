import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { InvalidRequestError } from '../../errors/domain-error.js';
import type { DryRunOutcome } from '../actions.service.js';
import { ActionStepDto, toActionStepDto } from './action.dto.js';

/** Parses the `dry_run` query parameter of POST: `true` or `false`; false when it is absent. */
export function parseDryRun(raw: unknown): boolean {
  if (raw === 'true') return true;
  if (raw === undefined || raw === 'false') return false;
  throw new InvalidRequestError('dry_run must be true or false.');
}

/** Why the run would not start: the error that POST would answer. */
@ApiSchema({ name: 'DryRunBlocker' })
export class DryRunBlockerDto {
  @ApiProperty({ example: 'action_in_progress' })
  readonly error_code!: string;
  @ApiProperty()
  readonly description!: string;
}

@ApiSchema({ name: 'DryRun' })
export class DryRunDto {
  @ApiProperty({ enum: [true] })
  readonly dry_run!: true;
  @ApiProperty({ description: 'whether POST without dry_run would start a run now' })
  readonly would_start!: boolean;
  @ApiProperty({ type: [DryRunBlockerDto], description: 'empty when the run would start' })
  readonly blockers!: DryRunBlockerDto[];
  @ApiProperty({ type: [ActionStepDto], description: "the run's steps, all pending" })
  readonly steps!: ActionStepDto[];
}

export function toDryRunDto({ blockers, steps }: DryRunOutcome): DryRunDto {
  return {
    dry_run: true,
    would_start: blockers.length === 0,
    blockers: blockers.map(({ code, description }) => ({ error_code: code, description })),
    steps: steps.map(toActionStepDto),
  };
}
