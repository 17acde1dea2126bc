import { IsString, Matches, ValidateIf } from 'class-validator';

export class ChangeMasterParams {
  /** The node to promote; a string in action bodies, as in Redis Enterprise. */
  @IsString({ message: 'node_uid must be a string, e.g. "2"' })
  @Matches(/^[1-9]\d{0,8}$/, {
    message: 'node_uid must be a positive whole number written as a string, e.g. "2"',
  })
  node_uid!: string;

  /**
   * A precondition: the node the client believes is master. When another node is master, the start is refused
   * (409 `precondition_failed`), and so is the run if the master moved before it executes. Absent, not null,
   * when the client sets no precondition.
   */
  @ValidateIf((_params: object, value: unknown) => value !== undefined)
  @IsString({ message: 'expected_master_uid must be a string, e.g. "1"' })
  @Matches(/^[1-9]\d{0,8}$/, {
    message: 'expected_master_uid must be a positive whole number written as a string, e.g. "1"',
  })
  expected_master_uid?: string;
}
