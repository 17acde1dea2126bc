import { ApiProperty } from '@nestjs/swagger';

/** The one error shape on the wire, for every 4xx and 5xx (a class, so that the OpenAPI document shows it). */
export class ErrorBody {
  @ApiProperty({ description: 'snake_case, stable: clients branch on it', example: 'invalid_request' })
  readonly error_code!: string;

  @ApiProperty({ description: 'a sentence for humans', example: 'Invalid user: role must be one of ...' })
  readonly description!: string;
}
