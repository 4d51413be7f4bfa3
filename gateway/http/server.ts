import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { type ApiDocs, docsRoutes, registerOpenApi } from '../../shared/http/docs.js';
import { clientErrorHandler, frameworkErrors, installErrorHandlers } from '../../shared/http/errors.js';
import { installJsonBody } from '../../shared/http/json-body.js';
import { requestTimeoutOptions } from '../../shared/http/request-timeout.js';
import type { Logger } from '../../shared/log.js';
import type { GatewayMetrics } from '../metrics.js';
import { OPERATOR } from './operator-auth.js';

const API_DOCS: ApiDocs = {
  title: 'Sous-vide gateway local API',
  description: 'Watch and control cooks in the kitchen, with or without the internet (operator token).',
  securitySchemes: {
    operatorToken: { type: 'http', scheme: 'bearer', description: 'The operator token (sousvide gateway token)' },
  },
  authText: 'Authenticate with Authorization: Bearer <operator token>.',
};

/**
 * How long a client may take to send a whole request, headers and body (the cloud's default too):
 * a body shorter than its Content-Length was waited for as long as the client kept the socket.
 * Only receiving counts: GET /v1/stream, a long answer, is not cut.
 */
export const REQUEST_TIMEOUT_MS = 30_000;

/**
 * The gateway's local HTTP server: health, Prometheus metrics, /openapi.json and /docs (and the
 * local API routes, added by app.ts). Every /v1 route takes the operator token and says so in the
 * OpenAPI document; zod validates inside the handlers, route schemas describe and serialize.
 */
export function buildHttp(
  log: Logger,
  metrics: GatewayMetrics,
  health: () => Record<string, unknown>,
  o: { requestTimeoutMs?: number } = {},
): FastifyInstance {
  const http = Fastify({
    loggerInstance: log.child({ part: 'http' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    frameworkErrors,
    clientErrorHandler,
    ...requestTimeoutOptions(o.requestTimeoutMs ?? REQUEST_TIMEOUT_MS),
  });
  // The local API answers errors like the cloud, through the same handler: routes throw SvError.
  installErrorHandlers(http);
  installJsonBody(http);
  http.setValidatorCompiler(() => (value) => ({ value }));
  registerOpenApi(http, API_DOCS);
  http.addHook('onRoute', (route) => {
    const schema = (route.schema ?? {}) as Record<string, unknown>;
    if (schema.hide || schema.security) return;
    route.schema = { ...schema, security: route.url.startsWith('/v1/') ? OPERATOR : [] } as typeof route.schema;
  });
  void docsRoutes(http, API_DOCS);
  const pub = (summary: string) => ({ schema: { summary, tags: ['health'], security: [] } });
  http.get('/healthz', pub('Liveness and the gateway name (no token)'), async () => ({ status: 'ok', ...health() }));
  http.get('/metrics', pub('Prometheus metrics (no token)'), async (_req, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  return http;
}
