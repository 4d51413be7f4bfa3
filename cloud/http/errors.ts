import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { isSvError } from '../../shared/errors.js';
import { type ErrorBody, errorBody, fastifyError } from '../../shared/http/errors.js';

/** The one error body of the API: `{error: {code, message, details}}` (shared/http/errors.ts). */
export { type ErrorBody, errorBody } from '../../shared/http/errors.js';

export function installErrorHandlers(http: FastifyInstance, retryAfterS: number): void {
  http.setErrorHandler((err: FastifyError, req, reply) => {
    if (isSvError(err)) {
      if (err.httpStatus === 503) reply.header('retry-after', String(retryAfterS));
      if (err.httpStatus >= 500) req.log.warn({ code: err.code, details: err.details }, err.message);
      return send(reply, err.httpStatus, errorBody(err.code, err.message, err.details));
    }
    if (err.code?.startsWith('FST_CSRF')) {
      return send(
        reply,
        403,
        errorBody('SV_ERR_FORBIDDEN', 'missing or invalid CSRF token', ['x-csrf-token: the token from GET /v1/auth/session']),
      );
    }
    const known = fastifyError(err);
    if (known) return send(reply, known[0], known[1]);
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
