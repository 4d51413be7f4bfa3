import { Readable } from 'node:stream';
import type { Database } from 'better-sqlite3';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { byNewest, PAGE_QUERY, pageNewestFirst } from '../../shared/api/cursor.js';
import { parse, QueryMs } from '../../shared/api/parse.js';
import { requireRange } from '../../shared/api/range.js';
import { unknownDevice } from '../../shared/api/resources.js';
import { SvError } from '../../shared/errors.js';
import { buildCookRecord } from '../../shared/food-safety/cook-record.js';
import { DeviceId } from '../../shared/protocol/device-id.js';
import { RecordId } from '../../shared/relay/batch.js';
import { formatIssues } from '../../shared/zod-issues.js';
import { cookRecordInput, findCook, listCooks, readingsCsv } from '../store/cook-history.js';

/**
 * Cook records on the gateway (offline, operator token): GET /v1/cooks?from&to, GET /v1/cooks/{id},
 * and the raw readings of a range as CSV, GET /v1/devices/{id}/readings.csv?from&to.
 */
export interface CooksApiDeps {
  reader: () => Database;
  /** The operator-token hook (operator-auth.ts), shared by every /v1 route. */
  auth: (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
  now: () => number;
  /** Whether the registry has the device, revoked or not (a revoked kit's readings stay readable). */
  knows: (id: string) => boolean;
}

const DAY_MS = 86_400_000;
const Range = z.strictObject({ from: QueryMs.optional(), to: QueryMs.optional() });
const ListQuery = Range.extend(PAGE_QUERY);
const CookParams = z.strictObject({ id: RecordId });
const DeviceParams = z.strictObject({ id: DeviceId });

/** [from, to) from the query: `to` defaults to now, `from` to `defaultSpan` before it; a bad query throws. */
function range(req: FastifyRequest, now: number, defaultSpan: number, schema: typeof Range = Range) {
  const q = schema.safeParse(req.query);
  if (!q.success) {
    throw new SvError('SV_ERR_VALIDATION', 'invalid query', formatIssues(q.error, 'query'));
  }
  const to = q.data.to ?? now;
  // The default span is clamped at the epoch: a small `to` gives from 0, never a negative time.
  const { from } = requireRange({ from: q.data.from ?? Math.max(0, to - defaultSpan), to });
  return { from, to, data: q.data };
}

export function cooksApi(http: FastifyInstance, d: CooksApiDeps): void {
  const auth = d.auth;

  http.get('/v1/cooks', { onRequest: auth }, async (req) => {
    const r = range(req, d.now(), 30 * DAY_MS, ListQuery as unknown as typeof Range);
    const q = r.data as z.infer<typeof ListQuery>;
    const key = (c: { startedTs: number; id: string }): [number, string] => [c.startedTs, c.id];
    const all = listCooks(d.reader(), r.from, r.to, Number.MAX_SAFE_INTEGER)
      .map(({ specs: _specs, ...c }) => c)
      .sort(byNewest(key));
    return { from: r.from, to: r.to, ...pageNewestFirst(all, q.cursor, q.limit, key) };
  });

  http.get('/v1/cooks/:id', { onRequest: auth }, async (req) => {
    const { id } = parse(CookParams, req.params, 'params');
    const c = findCook(d.reader(), id);
    if (!c) throw new SvError('SV_ERR_NOT_FOUND', `cook ${id} is unknown`, ['params.id: no such cook']);
    return buildCookRecord(cookRecordInput(d.reader(), c, d.now()));
  });

  http.get('/v1/devices/:id/readings.csv', { onRequest: auth }, async (req, reply) => {
    const { id } = parse(DeviceParams, req.params, 'params');
    if (!d.knows(id)) throw unknownDevice(id);
    const r = range(req, d.now(), DAY_MS);
    reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${id}-${r.from}-${r.to}.csv"`);
    return reply.send(Readable.from(readingsCsv(d.reader(), id, r.from, r.to)));
  });
}
