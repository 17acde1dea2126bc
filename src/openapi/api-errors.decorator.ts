import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorBody } from '../errors/error-body.js';

/** The error answers a route can give, by status: what each means there (error codes in backquotes). */
export type ErrorAnswers = Readonly<Partial<Record<number, string>>>;

/** Documents error answers, each with the standard error body. */
export const ApiErrors = (answers: ErrorAnswers): MethodDecorator & ClassDecorator =>
  applyDecorators(
    ...Object.entries(answers).map(([status, description]) =>
      ApiResponse({ status: Number(status), description, type: ErrorBody }),
    ),
  );

/** What every route that reads a JSON body can answer. */
export const BODY_ERRORS: ErrorAnswers = {
  400: '`invalid_request`: the body is not valid JSON, or does not match the schema',
  413: '`payload_too_large`: the body is over 1 MB',
};
