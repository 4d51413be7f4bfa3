import type { Database } from 'better-sqlite3';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CURSOR, decodeCursor, PAGE_QUERY, pageOf } from '../../shared/api/cursor.js';
import { doc, parse } from '../../shared/api/parse.js';
import { requireRange } from '../../shared/api/range.js';
import { CookBody, StopBody, unknownDevice } from '../../shared/api/resources.js';
import { AUDIT_FILTER, EVENT_FILTER, IdParams, ROUTES } from '../../shared/api/routes.js';
import { SvError } from '../../shared/errors.js';
/**
 * The gateway's local API (operator token required): how a cook is watched and controlled with the
 * internet down. It speaks the cloud's conventions (docs/api.md): the shared resource shapes
 * (shared/api/), cursor pages, one error body, the same status for the same rule.
 */
import type { WatchdogConfig } from '../control/config.js';
import type { ControlLoop } from '../control-driver/control-loop.js';
import { listAudit, listEvents } from '../store/event-log.js';
import { OPERATOR } from './operator-auth.js';
import { refuseTargetAboveGateway } from './target-first.js';
import { detailOf, deviceOf } from './views.js';
export interface LocalApiDeps {
  loop: ControlLoop;
  reader: () => Database;
  deviceIds: () => string[];
  /** The watchdog's rules: a target above this gateway's highest is named with its limit. */
  watchdog: WatchdogConfig;
  /** The operator-token hook (operator-auth.ts), shared by every /v1 route. */
  auth: (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
}

const DeviceQuery = z.strictObject(PAGE_QUERY);
const EventQuery = z.strictObject({ ...EVENT_FILTER, ...PAGE_QUERY });
const AuditQuery = z.strictObject({ ...AUDIT_FILTER, ...PAGE_QUERY });
const security = OPERATOR;

export function localApi(http: FastifyInstance, d: LocalApiDeps): void {
  const onRequest = d.auth;
  const known = (id: string) => d.deviceIds().includes(id) || d.loop.view(id) !== null;
  const detail = (id: string) => detailOf(id, d.loop.view(id));

  http.get(
    '/v1/devices',
    {
      onRequest,
      schema: { ...ROUTES.devices, security, querystring: doc(DeviceQuery) },
    },
    async (req) => {
      const q = parse(DeviceQuery, req.query, 'query');
      const after = decodeCursor(q.cursor, CURSOR.byId)?.[0] as string | undefined;
      const ids = [...new Set([...d.deviceIds(), ...d.loop.ids()])].sort().filter((id) => after === undefined || id > after);
      const page = pageOf(ids.slice(0, q.limit + 1), q.limit, (id) => [id]);
      return { items: page.items.map((id) => deviceOf(id, d.loop.view(id))), nextCursor: page.nextCursor };
    },
  );
  http.get(
    '/v1/devices/:id',
    {
      onRequest,
      schema: { ...ROUTES.device, security },
    },
    async (req) => {
      const { id } = parse(IdParams, req.params, 'params');
      if (!known(id)) throw unknownDevice(id);
      return detail(id);
    },
  );
  http.put(
    '/v1/devices/:id/cook',
    {
      onRequest,
      schema: { ...ROUTES.cookPut, security },
    },
    async (req) => {
      const { id } = parse(IdParams, req.params, 'params');
      refuseTargetAboveGateway(req.body, d.watchdog);
      const { reason: _reason, ...spec } = parse(CookBody, req.body, 'body');
      if (!d.deviceIds().includes(id)) throw unknownDevice(id);
      const r = d.loop.startCook(id, spec, { type: 'user', id: 'operator' });
      // The control core's refusals (the highest target, the food-safety rule): a 400 naming the field.
      if (!r.ok) throw new SvError('SV_ERR_VALIDATION', 'invalid body', [`body.${r.field ?? 'targetC'}: ${r.reason}`]);
      return detail(id);
    },
  );
  http.delete(
    '/v1/devices/:id/cook',
    {
      onRequest,
      schema: { ...ROUTES.cookDelete, security },
    },
    async (req) => {
      const { id } = parse(IdParams, req.params, 'params');
      const body = parse(StopBody, req.body, 'body');
      if (!known(id)) throw unknownDevice(id);
      d.loop.stopCook(id, { type: 'user', id: 'operator' }, body?.reason);
      return detail(id);
    },
  );

  http.get(
    '/v1/events',
    {
      onRequest,
      schema: { ...ROUTES.events, security, querystring: doc(EventQuery) },
    },
    async (req) => {
      const q = requireRange(parse(EventQuery, req.query, 'query'));
      const rows = listEvents(
        d.reader(),
        { ...q, severity: q.severity },
        { limit: q.limit, after: decodeCursor(q.cursor, CURSOR.newestFirst) },
      );
      return pageOf(rows, q.limit, (e) => [e.ts, e.id]);
    },
  );
  http.get(
    '/v1/audit',
    {
      onRequest,
      schema: { ...ROUTES.audit, security, querystring: doc(AuditQuery) },
    },
    async (req) => {
      const q = requireRange(parse(AuditQuery, req.query, 'query'));
      const rows = listAudit(d.reader(), q, { limit: q.limit, after: decodeCursor(q.cursor, CURSOR.newestFirst) });
      return pageOf(rows, q.limit, (a) => [a.ts, a.id]);
    },
  );
}
