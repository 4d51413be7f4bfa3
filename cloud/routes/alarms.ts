import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NOTE_MAX } from '../../shared/alarms/lifecycle.js';
import { requireRange } from '../../shared/api/range.js';
import { SvError } from '../../shared/errors.js';
import { DeviceId } from '../../shared/protocol/device-id.js';
import { RecordId } from '../../shared/relay/batch.js';
import { type Principal, scopeOf } from '../http/auth.js';
import { CURSOR, decodeCursor, doc, encodeCursor, Limit, parse, QueryMs } from '../http/validate.js';
import { auditOf, type RouteDeps, SECURITY } from './deps.js';

/**
 * Alarms (ADR 035): the gateways' alarms with their lifecycle (open, acknowledged, cleared), newest
 * raised first, and the acknowledgement by a user or an API key, which goes down to the gateway.
 */
const AlarmQuery = z.strictObject({
  state: z.enum(['open', 'acknowledged', 'cleared']).optional(),
  deviceId: DeviceId.optional(),
  /** The older name of `deviceId` (kept for callers of the events-based list). */
  device: DeviceId.optional(),
  gateway: DeviceId.optional(),
  type: z.string().max(48).optional(),
  from: QueryMs.optional(),
  to: QueryMs.optional(),
  cursor: z.string().optional(),
  limit: Limit,
});
const IdParams = z.strictObject({ id: RecordId });
const AckBody = z.strictObject({ note: z.string().max(NOTE_MAX).optional() });

/** Who acknowledged, as the gateway and the dashboards show it: the user's e-mail, or the API key's owner. */
function whoOf(p: Principal | null): string {
  if (p?.kind === 'user') return p.email;
  if (p?.kind === 'key') return `${p.owner} (API key ${p.id})`;
  return 'cloud';
}

export async function alarmRoutes(http: FastifyInstance, deps: RouteDeps): Promise<void> {
  const { auth, stores } = deps;
  const tags = ['alarms'];

  http.get(
    '/v1/alarms',
    {
      onRequest: auth.role('viewer'),
      schema: { summary: 'Alarms with their state, newest raised first', tags, security: SECURITY, querystring: doc(AlarmQuery) },
    },
    async (req) => {
      const q = requireRange(parse(AlarmQuery, req.query, 'query'));
      if (q.device !== undefined && q.deviceId !== undefined && q.device !== q.deviceId) {
        throw new SvError('SV_ERR_VALIDATION', 'invalid query', ['query.device: differs from query.deviceId (give one)']);
      }
      const page = await stores.meta.listAlarms(
        scopeOf(req.principal),
        { deviceId: q.deviceId ?? q.device, gatewayId: q.gateway, type: q.type, state: q.state, fromMs: q.from, toMs: q.to },
        { limit: q.limit, after: decodeCursor(q.cursor, CURSOR.newestFirst) },
      );
      return { items: page.items, nextCursor: encodeCursor(page.next) };
    },
  );

  http.post(
    '/v1/alarms/:id/ack',
    {
      onRequest: auth.role('operator'),
      schema: {
        summary: 'Acknowledge an alarm (the first acknowledgement stays); it goes down to the gateway',
        tags,
        security: SECURITY,
        params: doc(IdParams),
        body: doc(AckBody),
      },
    },
    async (req) => {
      const { id } = parse(IdParams, req.params, 'params');
      const { note } = parse(AckBody, req.body, 'body');
      const ts = deps.now();
      const who = whoOf(req.principal);
      const audit = auditOf(req.principal, ts, 'alarm.ack', null, `acknowledged by ${who}${note ? `: ${note}` : ''}`, {});
      const r = await stores.meta.ackAlarm(scopeOf(req.principal), id, { by: who, at: ts, note: note ?? null }, audit);
      if (!r) throw new SvError('SV_ERR_NOT_FOUND', `alarm ${id} is unknown`, ['params.id: no such alarm']);
      if (r.changed) deps.alarmChanged?.(scopeOf(req.principal).orgId, r.alarm);
      return r.alarm;
    },
  );
}
