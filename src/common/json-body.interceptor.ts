import { promisify } from 'node:util';
import {
  PayloadTooLargeException,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { AbstractHttpAdapter } from '@nestjs/core';
import { json, type Request, type Response } from 'express';
import { from, switchMap, type Observable } from 'rxjs';

/** The largest request body read (the 413 answer says "1 MB"). */
const BODY_LIMIT_BYTES = 1024 * 1024;

// Bodies are JSON whatever their Content-Type says (as Redis Enterprise clients and `curl -d` send them).
// Not strict: a JSON scalar is valid JSON, refused later with a clearer message than a parse error.
const readJson = promisify(json({ limit: BODY_LIMIT_BYTES, type: () => true, strict: false }));

/** What type-is (and so body-parser) counts as a request with a body. */
const hasBody = (request: Request): boolean =>
  request.headers['transfer-encoding'] !== undefined || request.headers['content-length'] !== undefined;

/**
 * Reads the JSON body into `request.body` once the guards have let the request through (Nest runs guards, then
 * interceptors, then the handler's parameters), so that a request without valid credentials is answered before
 * its body is read or parsed.
 */
export class JsonBodyInterceptor implements NestInterceptor {
  constructor(private readonly httpAdapter: AbstractHttpAdapter) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.getArgByIndex<Request>(0);
    if (!hasBody(request)) return next.handle();
    return from(this.read(request, context.getArgByIndex<Response>(1))).pipe(switchMap(() => next.handle()));
  }

  private read(request: Request, response: Response): Promise<void> {
    // body-parser refuses an oversized declared length only after reading (and discarding) all of it, which a
    // slow client can stretch to the request timeout: refuse it before reading a byte. The exception filter
    // closes the connection, since the body is still on its way.
    if (Number(request.headers['content-length']) > BODY_LIMIT_BYTES) {
      return Promise.reject(new PayloadTooLargeException());
    }
    // A client that sent `Expect: 100-continue` (any other expectation was answered 417) waits for this before
    // sending the body (see answerProtocolErrorsAsJson).
    if (request.headers.expect !== undefined && request.httpVersion !== '1.0') response.writeContinue();
    // Handed to the filters as the adapter hands over the errors of a body-parser middleware.
    return readJson(request, response).catch((error: unknown) => {
      throw this.httpAdapter.mapException(error);
    });
  }
}
