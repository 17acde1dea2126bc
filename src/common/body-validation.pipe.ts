import { Body, type ArgumentMetadata, type PipeTransform, type Type } from '@nestjs/common';
import { parseBody } from './parse-body.js';

/**
 * The request body as its declared DTO class (the parameter's type), validated by parseBody: a refused body is
 * a 400 `invalid_request`. `subject` names the body in error messages, e.g. "user update".
 */
export class BodyValidationPipe implements PipeTransform<unknown, Promise<object>> {
  constructor(private readonly subject: string) {}

  transform(body: unknown, { metatype }: ArgumentMetadata): Promise<object> {
    return parseBody(metatype as Type<object> | undefined, body, this.subject);
  }
}

/** `@Body()` typed by its parameter's DTO class and validated against it. */
export const ValidBody = (subject: string): ParameterDecorator => Body(new BodyValidationPipe(subject));
