import type { FastifyInstance } from 'fastify';
import { SvError } from '../../shared/errors.js';
import { withTimeout } from '../ingest/pipeline.js';
import { DEFAULT_ORG } from '../stores/types.js';
import type { RouteDeps } from './deps.js';

const PUBLIC = { rateLimit: false } as const;

/** `/healthz` (the process), `/readyz` (each store, with its latency), `/metrics` (viewer key). */
export async function healthRoutes(http: FastifyInstance, deps: RouteDeps): Promise<void> {
  const { stores, metrics, auth, config } = deps;

  http.get('/healthz', { config: PUBLIC, schema: { summary: 'The process is up', tags: ['health'] } }, async () => ({ status: 'ok' }));

  http.get(
    '/readyz',
    { config: PUBLIC, schema: { summary: 'Every store answers, with its latency', tags: ['health'] } },
    async (_req, reply) => {
      const roles = [
        ['telemetry', stores.telemetry],
        ['state', stores.state],
        ['meta', stores.meta],
      ] as const;
      const checks = await Promise.all(
        roles.map(async ([role, store]) => {
          const started = performance.now();
          try {
            await withTimeout(store.ping(), config.ingest.sinkTimeoutMs);
            return { role, backend: store.backend, ok: true, latencyMs: round(performance.now() - started) };
          } catch (err) {
            return {
              role,
              backend: store.backend,
              ok: false,
              latencyMs: round(performance.now() - started),
              error: (err as Error).message,
            };
          }
        }),
      );
      const ready = checks.every((c) => c.ok);
      if (!ready) reply.header('retry-after', String(config.ingest.retryAfterS));
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks });
    },
  );

  http.get(
    '/metrics',
    {
      onRequest: auth.role('viewer'),
      schema: {
        summary: "Prometheus metrics of the whole service: only for the default org (the service operator's). Role: viewer",
        tags: ['health'],
        security: [{ bearer: [] }],
      },
    },
    async (req, reply) => {
      // Service-wide counters are not a tenant's business: another org's key sees no such route.
      if (req.principal?.orgId !== DEFAULT_ORG) throw new SvError('SV_ERR_NOT_FOUND', 'not found');
      return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    },
  );
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
