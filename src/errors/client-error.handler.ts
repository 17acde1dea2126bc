import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { ErrorBody } from './error-body.js';

type Answer = readonly [status: number, reason: string, body: ErrorBody];

/** Requests Node's HTTP parser refuses before Express sees them, answered in the standard error shape. */
const PARSER_ERRORS: Readonly<Record<string, Answer>> = {
  HPE_HEADER_OVERFLOW: [
    431,
    'Request Header Fields Too Large',
    { error_code: 'headers_too_large', description: 'The request headers are too large.' },
  ],
  ERR_HTTP_REQUEST_TIMEOUT: [
    408,
    'Request Timeout',
    { error_code: 'request_timeout', description: 'The request took too long to arrive.' },
  ],
};

const MALFORMED: Answer = [
  400,
  'Bad Request',
  { error_code: 'invalid_request', description: 'The request is not valid HTTP.' },
];

const NO_HOST: Answer = [
  400,
  'Bad Request',
  { error_code: 'invalid_request', description: 'An HTTP/1.1 request must have a Host header.' },
];

const EXPECTATION_FAILED: Answer = [
  417,
  'Expectation Failed',
  { error_code: 'expectation_failed', description: "The only expectation supported is '100-continue'." },
];

const JSON_TYPE = 'application/json; charset=utf-8';

function answerOnSocket(socket: Duplex, [status, reason, body]: Answer): void {
  const json = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: ${JSON_TYPE}\r\n` +
      `Content-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
  );
}

function answerOnResponse(response: ServerResponse, [status, reason, body]: Answer): void {
  const json = JSON.stringify(body);
  response
    .writeHead(status, reason, {
      'Content-Type': JSON_TYPE,
      'Content-Length': Buffer.byteLength(json),
      Connection: 'close',
    })
    .end(json);
}

/**
 * Replaces Node's bare answers to requests it refuses itself (bad syntax, oversized headers, timeouts, an
 * unsupported `Expect`, a missing `Host`) with JSON ones. Node answers a missing Host before any listener sees the
 * request, so that check moves into the returned middleware, which must come before every route.
 */
export function answerProtocolErrorsAsJson(server: Server): RequestHandler {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    answerOnSocket(socket, PARSER_ERRORS[error.code ?? ''] ?? MALFORMED);
  });
  // Called for any Expect but 100-continue; without a listener Node sends a bare 417.
  server.on('checkExpectation', (_request, response: ServerResponse) =>
    answerOnResponse(response, EXPECTATION_FAILED),
  );
  // Node would send `100 Continue` at once; JsonBodyGuard sends it when it wants the body, so that a request
  // refused first (401, 403, 413) is answered before the client uploads its body.
  server.on('checkContinue', (request: IncomingMessage, response: ServerResponse) =>
    server.emit('request', request, response),
  );
  // A createServer option that Nest does not pass; Node reads the property on every request.
  (server as Server & { requireHostHeader: boolean }).requireHostHeader = false;
  return (request: Request, response: Response, next: NextFunction): void => {
    // RFC 9112 §3.2: a server must answer 400 to an HTTP/1.1 request without Host.
    if (request.httpVersion === '1.1' && request.headers.host === undefined) {
      answerOnResponse(response, NO_HOST);
    } else {
      next();
    }
  };
}
