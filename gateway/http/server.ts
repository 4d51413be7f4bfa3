import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { frameworkErrors, installErrorHandlers } from '../../shared/http/errors.js';
import type { Logger } from '../../shared/log.js';
import type { GatewayMetrics } from '../metrics.js';

/** The gateway's local HTTP server: health, Prometheus metrics (and the local API routes). */
export function buildHttp(log: Logger, metrics: GatewayMetrics, health: () => Record<string, unknown>): FastifyInstance {
  const http = Fastify({
    loggerInstance: log.child({ part: 'http' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    frameworkErrors,
  });
  // The local API answers errors like the cloud, through the same handler: routes throw SvError.
  installErrorHandlers(http);
  http.get('/healthz', async () => ({ status: 'ok', ...health() }));
  http.get('/metrics', async (_req, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  return http;
}
