import { promisify } from 'node:util';
import { PayloadTooLargeException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { AbstractHttpAdapter } from '@nestjs/core';
import { json, type Request, type Response } from 'express';

/** The largest request body read (the 413 answer says "1 MB"). */
const BODY_LIMIT_BYTES = 1024 * 1024;

// Bodies are JSON whatever their Content-Type says (as Redis Enterprise clients and `curl -d` send them).
// Not strict: a JSON scalar is valid JSON, refused later with a clearer message than a parse error.
const readJson = promisify(json({ limit: BODY_LIMIT_BYTES, type: () => true, strict: false }));

/** What type-is (and so body-parser) counts as a request with a body. */
const hasBody = (request: Request): boolean =>
  request.headers['transfer-encoding'] !== undefined || request.headers['content-length'] !== undefined;

/**
 * Reads the JSON body into `request.body` once the permission guard has let the request through, so that a
 * request without valid credentials is answered before its body is read or parsed; an oversized or malformed
 * body is refused here (413, 400). The last global guard (configureApp adds it after the APP_GUARDs) rather
 * than an interceptor: any interceptor puts every request of every route through rxjs (measured: about a tenth
 * of a GET's CPU time), and a request without a body passes this guard synchronously.
 */
export class JsonBodyGuard implements CanActivate {
  constructor(private readonly httpAdapter: AbstractHttpAdapter) {}

  canActivate(context: ExecutionContext): true | Promise<true> {
    const request = context.getArgByIndex<Request>(0);
    if (!hasBody(request)) return true;
    return this.read(request, context.getArgByIndex<Response>(1)).then(() => true);
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
