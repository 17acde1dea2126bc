import { ApiProperty } from '@nestjs/swagger';

/** The one error shape on the wire, for every 4xx and 5xx (a class, so that the OpenAPI document shows it). */
export class ErrorBody {
  @ApiProperty({ description: 'snake_case, stable: clients branch on it (each answer lists its codes)' })
  readonly error_code!: string;

  @ApiProperty({ description: 'a sentence for humans' })
  readonly description!: string;
}
