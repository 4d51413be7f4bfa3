import type { Database } from 'better-sqlite3';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type Alarm, NOTE_MAX, stateOf } from '../../shared/alarms/lifecycle.js';
import { Limit } from '../../shared/api/parse.js';
import { SvError } from '../../shared/errors.js';
import { DeviceId } from '../../shared/protocol/device-id.js';
import { RecordId } from '../../shared/relay/batch.js';
import { formatIssues } from '../../shared/zod-issues.js';
import type { GatewayAlarms } from '../alarms/gateway-alarms.js';
import { listAlarms } from '../store/alarms.js';

/**
 * Alarms on the gateway (operator token): GET /v1/alarms?state&deviceId&cursor&limit, newest raised
 * first, and POST /v1/alarms/{id}/ack with `{note?}`, acknowledged by the operator.
 */
export interface AlarmsApiDeps {
  reader: () => Database;
  alarms: GatewayAlarms;
  auth: (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
  now: () => number;
}

/** Opaque page cursor: base64url of `[raisedAt, id]` of the last alarm returned. */
const Cursor = z
  .string()
  .max(200)
  .transform((s, ctx) => {
    try {
      const key = z.tuple([z.number().int().min(0), RecordId]).parse(JSON.parse(Buffer.from(s, 'base64url').toString('utf8')));
      return key as [number, string];
    } catch {
      ctx.addIssue({ code: 'custom', message: 'not a cursor this API issued' });
      return z.NEVER;
    }
  });
const ListQuery = z.strictObject({
  state: z.enum(['open', 'acknowledged', 'cleared']).optional(),
  deviceId: DeviceId.optional(),
  cursor: Cursor.optional(),
  limit: Limit,
});
const AckBody = z.strictObject({ note: z.string().max(NOTE_MAX).optional() });

/** The API's view of an alarm: its fields and its state. */
export const alarmView = (a: Alarm) => ({ ...a, state: stateOf(a) });

export function alarmsApi(http: FastifyInstance, d: AlarmsApiDeps): void {
  http.get('/v1/alarms', { onRequest: d.auth }, async (req) => {
    const r = ListQuery.safeParse(req.query);
    if (!r.success) throw new SvError('SV_ERR_VALIDATION', 'invalid query', formatIssues(r.error, 'query'));
    const q = r.data;
    const page = listAlarms(d.reader(), {
      state: q.state,
      deviceId: q.deviceId,
      limit: q.limit,
      after: q.cursor,
    });
    const last = page.items[page.items.length - 1];
    return {
      items: page.items.map(alarmView),
      nextCursor: page.more && last ? Buffer.from(JSON.stringify([last.raisedAt, last.id])).toString('base64url') : null,
    };
  });

  http.post('/v1/alarms/:id/ack', { onRequest: d.auth }, async (req) => {
    const id = RecordId.safeParse((req.params as { id?: string }).id);
    if (!id.success) throw new SvError('SV_ERR_VALIDATION', 'invalid alarm id', formatIssues(id.error, 'params.id'));
    const body = AckBody.safeParse(req.body ?? {});
    if (!body.success) throw new SvError('SV_ERR_VALIDATION', 'invalid body', formatIssues(body.error, 'body'));
    const r = await d.alarms.acknowledge(
      id.data,
      { by: 'operator', at: d.now(), note: body.data.note ?? null },
      { type: 'user', id: 'operator' },
    );
    if (!r) throw new SvError('SV_ERR_NOT_FOUND', `no alarm ${id.data}`, ['params.id: no such alarm']);
    return alarmView(r.alarm);
  });
}
