import type { FastifyInstance } from 'fastify';
import { RelayBatch } from '../../shared/relay/batch.js';
import type { Principal } from '../http/auth.js';
import { doc } from '../http/validate.js';
import { parseBatch } from '../ingest/parse.js';
import { type RouteDeps, SECURITY } from './deps.js';

/** `POST /v1/ingest`: a gateway's relay batch (shared/relay/batch.ts); 200 only when every sink committed. */
export async function ingestRoutes(http: FastifyInstance, deps: RouteDeps): Promise<void> {
  const { auth, metrics, pipeline } = deps;
  http.post(
    '/v1/ingest',
    {
      onRequest: auth.gateway(),
      schema: {
        summary: 'Relay batch from a gateway (gateway token). Replays are no-ops; 503 + Retry-After when a sink did not commit.',
        tags: ['ingest'],
        security: SECURITY,
        body: doc(RelayBatch),
      },
    },
    async (req) => {
      const body = req.body as { records?: unknown } | null;
      metrics.recv.inc(Array.isArray(body?.records) ? body.records.length : 0);
      let parsed: ReturnType<typeof parseBatch>;
      try {
        parsed = parseBatch(body);
      } catch (err) {
        metrics.parseFail.inc();
        throw err;
      }
      metrics.parseOk.inc(parsed.batch.records.length);
      metrics.parseFail.inc(parsed.rejected.length);
      const p = req.principal as Extract<Principal, { kind: 'gateway' }>;
      return pipeline.ingest({ id: p.id, orgId: p.orgId }, parsed.batch, deps.now(), parsed.rejected, parsed.positions);
    },
  );
}
