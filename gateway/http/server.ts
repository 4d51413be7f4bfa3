import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from '../../shared/log.js';
import type { GatewayMetrics } from '../metrics.js';

/** The gateway's local HTTP server: health, Prometheus metrics (and the local API routes). */
export function buildHttp(log: Logger, metrics: GatewayMetrics, health: () => Record<string, unknown>): FastifyInstance {
  const http = Fastify({
    loggerInstance: log.child({ part: 'http' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
  });
  http.get('/healthz', async () => ({ status: 'ok', ...health() }));
  http.get('/metrics', async (_req, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  return http;
}
