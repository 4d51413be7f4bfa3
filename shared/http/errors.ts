import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, type ErrorCode, isSvError } from '../errors.js';

/**
 * The one error body of the cloud API and the gateway's local API: `{error: {code, message, details}}`,
 * code from shared/errors.ts, details naming the field (`body: …`, `params: …`). Shared here because
 * gateway and cloud never import each other.
 */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details: readonly string[] };
}

export function errorBody(code: ErrorCode, message?: string, details: readonly string[] = []): ErrorBody {
  return { error: { code, message: message ?? ERROR_CODES[code].text, details } };
}

/** Fastify's own errors (body parser, router) mapped onto the catalogue: status, code, the detail naming the part. */
export const FASTIFY_CODES: Record<string, [ErrorCode, number, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: ['SV_ERR_BODY_TOO_LARGE', 413, 'body: larger than the body limit'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ['SV_ERR_VALIDATION', 415, 'content-type: must be application/json'],
  FST_ERR_CTP_INVALID_JSON_BODY: ['SV_ERR_PAYLOAD_NOT_JSON', 400, 'body: not valid JSON'],
  FST_ERR_CTP_EMPTY_JSON_BODY: ['SV_ERR_PAYLOAD_NOT_JSON', 400, 'body: empty'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ['SV_ERR_VALIDATION', 400, 'content-length: does not match the body'],
  FST_ERR_CTP_INVALID_CONTENT_ENCODING: ['SV_ERR_VALIDATION', 415, 'content-encoding: unsupported'],
  FST_ERR_MAX_PARAM_LENGTH: ['SV_ERR_VALIDATION', 414, 'params: a path segment is longer than the router accepts (100 characters)'],
  FST_ERR_BAD_URL: ['SV_ERR_VALIDATION', 400, 'url: not a valid URL (bad percent-encoding)'],
};

/**
 * A request body in an encoding the server does not decode: a 415 through FASTIFY_CODES, whose
 * detail names the encoding and the ones that are (`content-encoding: br is not supported (gzip or identity)`).
 */
export function unsupportedContentEncoding(encoding: string, supported: readonly string[]): Error {
  const detail = `content-encoding: ${encoding} is not supported (${supported.join(' or ')})`;
  return Object.assign(new Error(detail), { code: 'FST_ERR_CTP_INVALID_CONTENT_ENCODING', statusCode: 415, details: [detail] });
}

/** The catalogue body of a Fastify error, or undefined for an error that is not Fastify's. */
export function fastifyError(err: FastifyError): [number, ErrorBody] | undefined {
  // @fastify/csrf-protection (the cloud's session calls): a missing or wrong token is a 403.
  if (err.code?.startsWith('FST_CSRF'))
    return [403, errorBody('SV_ERR_FORBIDDEN', 'missing or invalid CSRF token', ['x-csrf-token: the token from GET /v1/auth/session'])];
  const mapped = err.code ? FASTIFY_CODES[err.code] : undefined;
  // An error that names its own detail (unsupportedContentEncoding) keeps it; else the mapping's.
  const details = (err as { details?: readonly string[] }).details;
  if (mapped) return [mapped[1], errorBody(mapped[0], undefined, details ?? [mapped[2]])];
  if (err.statusCode === 429) return [429, errorBody('SV_ERR_RATE_LIMITED', err.message)];
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
    // e.g. a gzip stream that is not gzip: the client's fault, named as the body.
    return [err.statusCode, errorBody('SV_ERR_VALIDATION', undefined, [`body: ${err.message}`])];
  }
  return undefined;
}

/** Fastify's `frameworkErrors` option: router errors (over-long path segment, bad URL) in the catalogue's shape. */
export function frameworkErrors(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  const [status, body] = fastifyError(err) ?? [400, errorBody('SV_ERR_VALIDATION', undefined, ['url: not routable'])];
  reply.code(status).type('application/json').send(body);
}

/**
 * Fastify's `clientErrorHandler` option: what Node refuses before a request reaches the router (a
 * request not received in time, headers over the size limit, broken HTTP) in the same body as
 * every other error, instead of Fastify's own `{error, message, statusCode}`. As Node and Fastify
 * do, the answer is written straight to the socket, which is then closed.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, detail] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'request: not received in full in time']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'headers: larger than the server accepts (16 KiB)']
        : [400, 'request: not valid HTTP'];
  const body = JSON.stringify(errorBody('SV_ERR_VALIDATION', undefined, [detail]));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/**
 * The one error handler of the cloud API and the gateway's local API: routes throw `SvError`
 * (shared/errors.ts) and this answers with its catalogue status and body; Fastify's own errors
 * are mapped (FASTIFY_CODES); anything else is logged and answered 500 with no detail. A 503
 * carries `Retry-After` when `retryAfterS` is given.
 */
export function installErrorHandlers(http: FastifyInstance, opts: { retryAfterS?: number } = {}): void {
  http.setErrorHandler((err: FastifyError, req, reply) => {
    if (isSvError(err)) {
      if (err.httpStatus === 503 && opts.retryAfterS !== undefined) reply.header('retry-after', String(opts.retryAfterS));
      if (err.httpStatus >= 500) req.log.warn({ code: err.code, details: err.details }, err.message);
      return send(reply, err.httpStatus, errorBody(err.code, err.message, err.details));
    }
    const known = fastifyError(err);
    if (known) return send(reply, known[0], known[1]);
    req.log.error({ err }, 'unhandled error');
    return send(reply, 500, errorBody('SV_ERR_INTERNAL'));
  });
  http.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0] ?? '/';
    const allow = allowedMethods(http, path);
    if (allow.length > 0) {
      reply.header('allow', allow.join(', '));
      return send(
        reply,
        405,
        errorBody('SV_ERR_METHOD_NOT_ALLOWED', `${req.method} is not a method of ${path}`, [`method: one of ${allow.join(', ')}`]),
      );
    }
    return send(reply, 404, errorBody('SV_ERR_NOT_FOUND', `no route ${req.method} ${path}`));
  });
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/**
 * The methods a path has routes for (the `Allow` of a 405): a request for a path that exists with
 * another method is a 405, not a 404 (RFC 9110, 15.5.6). A wildcard route (the dashboard's files)
 * does not count: it would make every path "exist".
 */
function allowedMethods(http: FastifyInstance, path: string): string[] {
  return METHODS.filter((method) => {
    const route = http.findRoute({ method, url: path });
    return route !== null && !('*' in (route.params ?? {}));
  });
}

function send(reply: FastifyReply, status: number, body: ErrorBody) {
  return reply.code(status).type('application/json').send(body);
}
