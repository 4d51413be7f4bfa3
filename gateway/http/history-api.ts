import type { Database } from 'better-sqlite3';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { QueryMs } from '../../shared/api/parse.js';
import { unknownDevice } from '../../shared/api/resources.js';
import { SvError } from '../../shared/errors.js';
import { bucketQueryProblem, Every } from '../../shared/history/buckets.js';
import { DeviceId } from '../../shared/protocol/device-id.js';
import { formatIssues } from '../../shared/zod-issues.js';
import { historyBuckets } from '../store/history.js';

/**
 * GET /v1/devices/{id}/telemetry?from&to&every on the gateway (operator token): the cloud's route
 * and bucket shape, from the gateway's SQLite, so its dashboard draws history (temperature, heater,
 * target) with the internet down.
 */
export interface HistoryApiDeps {
  reader: () => Database;
  auth: (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
  now: () => number;
  /** Whether the registry has the device, revoked or not (a revoked kit's history stays readable). */
  knows: (id: string) => boolean;
}

const Query = z.strictObject({ from: QueryMs.optional(), to: QueryMs.optional(), every: Every.optional() });

export function historyApi(http: FastifyInstance, d: HistoryApiDeps): void {
  http.get('/v1/devices/:id/telemetry', { onRequest: d.auth }, async (req) => {
    const id = DeviceId.safeParse((req.params as { id?: string }).id);
    if (!id.success) throw new SvError('SV_ERR_VALIDATION', 'invalid device id', formatIssues(id.error, 'params.id'));
    if (!d.knows(id.data)) throw unknownDevice(id.data);
    const q = Query.safeParse(req.query);
    if (!q.success) throw new SvError('SV_ERR_VALIDATION', 'invalid query', formatIssues(q.error, 'query'));
    const toMs = q.data.to ?? d.now();
    const fromMs = q.data.from ?? toMs - 3_600_000;
    const everyMs = q.data.every ?? 60_000;
    const problem = bucketQueryProblem(fromMs, toMs, everyMs);
    if (problem) throw new SvError('SV_ERR_VALIDATION', 'invalid query', [problem]);
    return { deviceId: id.data, fromMs, toMs, everyMs, buckets: historyBuckets(d.reader(), id.data, fromMs, toMs, everyMs) };
  });
}
