import { IsString, Matches } from 'class-validator';

export class ChangeMasterParams {
  /** The node to promote; a string in action bodies, as in Redis Enterprise. */
  @IsString({ message: 'node_uid must be a string, e.g. "2"' })
  @Matches(/^[1-9]\d{0,8}$/, {
    message: 'node_uid must be a positive whole number written as a string, e.g. "2"',
  })
  node_uid!: string;
}
