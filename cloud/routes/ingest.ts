import type { FastifyInstance } from 'fastify';
import { SvError } from '../../shared/errors.js';
import { RelayBatch } from '../../shared/relay/batch.js';
import { formatIssues } from '../../shared/zod-issues.js';
import { doc } from '../http/validate.js';
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
      const parsed = RelayBatch.safeParse(body);
      if (!parsed.success) {
        metrics.parseFail.inc();
        throw new SvError(
          'SV_ERR_PAYLOAD_INVALID',
          'batch does not match the relay contract',
          formatIssues(parsed.error, 'body').slice(0, 50),
        );
      }
      metrics.parseOk.inc(parsed.data.records.length);
      const gatewayId = req.principal?.id as string;
      return pipeline.ingest(gatewayId, parsed.data, deps.now());
    },
  );
}
