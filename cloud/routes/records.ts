import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { PAGE_QUERY } from '../../shared/api/cursor.js';
import { requireRange } from '../../shared/api/range.js';
import { AUDIT_FILTER, EVENT_FILTER, ROUTES } from '../../shared/api/routes.js';
import { DeviceId } from '../../shared/protocol/device-id.js';
import { scopeOf } from '../http/auth.js';
import { CURSOR, decodeCursor, doc, encodeCursor, Limit, parse } from '../http/validate.js';
import type { Scope } from '../stores/types.js';
import { type RouteDeps, SECURITY } from './deps.js';
import { auditEntryOf, eventOf } from './views.js';

// gateway ids are device-id shaped (cloud/admin.ts); the column is ASCII
const EventQuery = z.strictObject({ ...EVENT_FILTER, gateway: DeviceId.optional(), ...PAGE_QUERY });
const PageQuery = z.strictObject({ cursor: z.string().optional(), limit: Limit });
const AuditQuery = z.strictObject({ ...AUDIT_FILTER, ...PAGE_QUERY });

/** Events and the audit log, newest first, cursor-paged (alarms: routes/alarms.ts). */
export async function recordRoutes(http: FastifyInstance, deps: RouteDeps): Promise<void> {
  const { auth, stores } = deps;

  const listEvents = async (scope: Scope, q: z.output<typeof EventQuery>) => {
    const page = await stores.meta.listEvents(
      scope,
      { deviceId: q.device, gatewayId: q.gateway, type: q.type, severities: q.severity, fromMs: q.from, toMs: q.to },
      { limit: q.limit, after: decodeCursor(q.cursor, CURSOR.newestFirst) },
    );
    return { items: page.items.map(eventOf), nextCursor: encodeCursor(page.next) };
  };

  http.get(
    '/v1/events',
    {
      onRequest: auth.role('viewer'),
      schema: { ...ROUTES.events, security: SECURITY, querystring: doc(EventQuery) },
    },
    async (req) => listEvents(scopeOf(req.principal), requireRange(parse(EventQuery, req.query, 'query'))),
  );

  http.get(
    '/v1/dead-letters',
    {
      onRequest: auth.role('admin'),
      schema: {
        summary: 'Invalid records of well-formed batches, kept with the reasons, newest first',
        tags: ['ingest'],
        security: SECURITY,
        querystring: doc(PageQuery),
      },
    },
    async (req) => {
      const q = parse(PageQuery, req.query, 'query');
      const page = await stores.meta.listDeadLetters(scopeOf(req.principal), {
        limit: q.limit,
        after: decodeCursor(q.cursor, CURSOR.deadLetters),
      });
      return { items: page.items, nextCursor: encodeCursor(page.next) };
    },
  );

  http.get(
    '/v1/audit',
    {
      onRequest: auth.role('operator'),
      schema: { ...ROUTES.audit, summary: 'Audit log (gateway and cloud), newest first', security: SECURITY, querystring: doc(AuditQuery) },
    },
    async (req) => {
      const q = requireRange(parse(AuditQuery, req.query, 'query'));
      const page = await stores.meta.listAudit(
        scopeOf(req.principal),
        { deviceId: q.device, actorId: q.actor, action: q.action, fromMs: q.from, toMs: q.to },
        { limit: q.limit, after: decodeCursor(q.cursor, CURSOR.newestFirst) },
      );
      return { items: page.items.map(auditEntryOf), nextCursor: encodeCursor(page.next) };
    },
  );
}
