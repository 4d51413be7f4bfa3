import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, LogController } from 'fastify';
import { ERROR_CODES, isSvError } from '../../shared/errors.js';
import { errorBody, fastifyError, frameworkErrors } from '../../shared/http/errors.js';
import type { Logger } from '../../shared/log.js';
import type { GatewayMetrics } from '../metrics.js';

/** The gateway's local HTTP server: health, Prometheus metrics (and the local API routes). */
export function buildHttp(log: Logger, metrics: GatewayMetrics, health: () => Record<string, unknown>): FastifyInstance {
  const http = Fastify({
    loggerInstance: log.child({ part: 'http' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    frameworkErrors,
  });
  // The local API answers errors like the cloud: {error: {code, message, details}} (shared/http/errors.ts).
  http.setErrorHandler((err: FastifyError, req, reply) => {
    if (isSvError(err)) return reply.code(ERROR_CODES[err.code].http).send(errorBody(err.code, err.message, err.details));
    const known = fastifyError(err);
    if (known) return reply.code(known[0]).send(known[1]);
    req.log.error({ err }, 'unhandled error');
    return reply.code(500).send(errorBody('SV_ERR_INTERNAL'));
  });
  http.setNotFoundHandler((req, reply) =>
    reply.code(404).send(errorBody('SV_ERR_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`)),
  );
  http.get('/healthz', async () => ({ status: 'ok', ...health() }));
  http.get('/metrics', async (_req, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  return http;
}
