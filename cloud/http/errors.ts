import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { ERROR_CODES, type ErrorCode, isSvError } from '../../shared/errors.js';

/** The one error body of the API: `{error: {code, message, details}}`, code from shared/errors.ts. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details: readonly string[] };
}

export function errorBody(code: ErrorCode, message?: string, details: readonly string[] = []): ErrorBody {
  return { error: { code, message: message ?? ERROR_CODES[code].text, details } };
}

/** Fastify's own errors (body parser, rate limit) mapped onto the catalogue. */
const FASTIFY_CODES: Record<string, [ErrorCode, number, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: ['SV_ERR_BODY_TOO_LARGE', 413, 'body: larger than the body limit'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ['SV_ERR_VALIDATION', 415, 'content-type: must be application/json'],
  FST_ERR_CTP_INVALID_JSON_BODY: ['SV_ERR_PAYLOAD_NOT_JSON', 400, 'body: not valid JSON'],
  FST_ERR_CTP_EMPTY_JSON_BODY: ['SV_ERR_PAYLOAD_NOT_JSON', 400, 'body: empty'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ['SV_ERR_VALIDATION', 400, 'content-length: does not match the body'],
  FST_ERR_CTP_INVALID_CONTENT_ENCODING: ['SV_ERR_VALIDATION', 415, 'content-encoding: unsupported'],
};

export function installErrorHandlers(http: FastifyInstance, retryAfterS: number): void {
  http.setErrorHandler((err: FastifyError, req, reply) => {
    if (isSvError(err)) {
      if (err.httpStatus === 503) reply.header('retry-after', String(retryAfterS));
      if (err.httpStatus >= 500) req.log.warn({ code: err.code, details: err.details }, err.message);
      return send(reply, err.httpStatus, errorBody(err.code, err.message, err.details));
    }
    const mapped = err.code ? FASTIFY_CODES[err.code] : undefined;
    if (mapped) return send(reply, mapped[1], errorBody(mapped[0], undefined, [mapped[2]]));
    if (err.statusCode === 429) return send(reply, 429, errorBody('SV_ERR_RATE_LIMITED', err.message));
    if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
      // e.g. a gzip stream that is not gzip: the client's fault, named as the body.
      return send(reply, err.statusCode, errorBody('SV_ERR_VALIDATION', undefined, [`body: ${err.message}`]));
    }
    req.log.error({ err }, 'unhandled error');
    return send(reply, 500, errorBody('SV_ERR_INTERNAL'));
  });
  http.setNotFoundHandler((req, reply) =>
    send(reply, 404, errorBody('SV_ERR_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`)),
  );
}

function send(reply: FastifyReply, status: number, body: ErrorBody) {
  return reply.code(status).type('application/json').send(body);
}
