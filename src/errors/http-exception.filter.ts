import {
  Catch,
  HttpException,
  HttpStatus,
  Logger,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainError, type DomainErrorKind } from './domain-error.js';
import type { ErrorBody } from './error-body.js';
import { sendJson } from '../transport/json-reply.js';

const REALM = 'Basic realm="cluster-actions", charset="UTF-8"';

function statusOf(kind: DomainErrorKind): number {
  switch (kind) {
    case 'invalid':
      return HttpStatus.BAD_REQUEST;
    case 'unauthenticated':
      return HttpStatus.UNAUTHORIZED;
    case 'forbidden':
      return HttpStatus.FORBIDDEN;
    case 'not_found':
      return HttpStatus.NOT_FOUND;
    case 'not_acceptable':
      return HttpStatus.NOT_ACCEPTABLE;
    case 'conflict':
      return HttpStatus.CONFLICT;
    case 'unprocessable':
      return HttpStatus.UNPROCESSABLE_ENTITY;
    case 'too_many_requests':
      return HttpStatus.TOO_MANY_REQUESTS;
    case 'unavailable':
      return HttpStatus.SERVICE_UNAVAILABLE;
    default: {
      const unmapped: never = kind;
      throw new Error(`Unmapped error kind ${String(unmapped)}`);
    }
  }
}

/** Framework and body-parser errors that a client can cause, by status, in our words. */
const CLIENT_ERRORS: Readonly<Record<number, ErrorBody>> = {
  400: { error_code: 'invalid_request', description: 'The request is malformed.' },
  // The framework refuses with 403 only in its cross-site request check (enableCsrfProtection); our guards throw
  // domain errors.
  403: {
    error_code: 'cross_site_request',
    description:
      'A request that changes state cannot come from a page of another site (see ALLOWED_ORIGINS).',
  },
  404: { error_code: 'not_found', description: 'No such route.' },
  405: {
    error_code: 'method_not_allowed',
    description: 'The route does not support this method; the Allow header lists the ones it does.',
  },
  413: { error_code: 'payload_too_large', description: 'The request body is larger than 1 MB.' },
  415: { error_code: 'unsupported_media_type', description: 'The request body must be JSON.' },
};

/** Body-parser errors carry `type` and `status`; Nest's Express adapter hands them over as an exception's cause. */
interface BodyParserError {
  readonly type: string;
  readonly status: number;
}

function isBodyParserError(error: unknown): error is BodyParserError {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as BodyParserError).type === 'string' &&
    typeof (error as BodyParserError).status === 'number'
  );
}

function bodyParserDescription(error: BodyParserError): string {
  switch (error.type) {
    case 'entity.parse.failed':
      return 'The request body is not valid JSON.';
    case 'entity.too.large':
      return 'The request body is larger than 1 MB.';
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return 'The request body must be UTF-8 JSON.';
    default:
      return 'The request body could not be read.';
  }
}

/**
 * The one exception filter: every error, from any layer, leaves as `{error_code, description}` with the
 * right status. Unexpected errors are logged with their stack and leave as a bare 500.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(error: unknown, host: ArgumentsHost): void {
    // What switchToHttp().getResponse() returns, without the closures that call allocates on every error.
    const response = host.getArgByIndex<Response>(1);
    const [status, body] = this.describe(error);
    if (response.headersSent) {
      response.end();
      return;
    }
    // Refused before its body was read (a 401, a 403, a 413 on the declared length) while the body is still on its
    // way: close instead of reading it to keep the connection.
    if (!host.getArgByIndex<Request>(0).complete) response.setHeader('Connection', 'close');
    if (status === (HttpStatus.UNAUTHORIZED as number)) response.setHeader('WWW-Authenticate', REALM);
    if (error instanceof DomainError && error.retryAfterSeconds !== undefined) {
      response.setHeader('Retry-After', String(error.retryAfterSeconds));
    }
    sendJson(response, status, body);
  }

  private describe(error: unknown): [number, ErrorBody] {
    if (error instanceof DomainError) {
      return [statusOf(error.kind), { error_code: error.code, description: error.description }];
    }
    const cause = error instanceof HttpException ? error.cause : error;
    if (isBodyParserError(cause) && cause.status >= 400 && cause.status < 500) {
      const code = CLIENT_ERRORS[cause.status]?.error_code ?? 'invalid_request';
      return [cause.status, { error_code: code, description: bodyParserDescription(cause) }];
    }
    if (error instanceof HttpException && error.getStatus() < 500) {
      const status = error.getStatus();
      return [
        status,
        CLIENT_ERRORS[status] ?? { error_code: 'invalid_request', description: 'The request was refused.' },
      ];
    }
    this.logger.error('Unexpected error', error instanceof Error ? error.stack : String(error));
    return [
      HttpStatus.INTERNAL_SERVER_ERROR,
      { error_code: 'internal_error', description: 'The service failed to handle the request.' },
    ];
  }
}
