import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { Paged } from '../../shared/api/cursor.js';
import { responses } from '../../shared/api/parse.js';
import { AuditEntry, Event } from '../../shared/api/resources.js';
import { DeviceId } from '../../shared/protocol/device-id.js';
import { Severity } from '../../shared/relay/batch.js';
import { scopeOf } from '../http/auth.js';
import { CURSOR, decodeCursor, doc, encodeCursor, Limit, parse, QueryMs } from '../http/validate.js';
import type { Scope } from '../stores/types.js';
import { type RouteDeps, SECURITY } from './deps.js';
import { auditEntryOf, eventOf } from './views.js';

const Severities = z
  .string()
  .transform((s) => s.split(',').filter((x) => x !== ''))
  .pipe(z.array(Severity).max(4));
const EventQuery = z.strictObject({
  device: DeviceId.optional(),
  gateway: DeviceId.optional(), // gateway ids are device-id shaped (cloud/admin.ts); the column is ASCII
  type: z.string().max(48).optional(),
  severity: Severities.optional(),
  from: QueryMs.optional(),
  to: QueryMs.optional(),
  cursor: z.string().optional(),
  limit: Limit,
});
const AlarmQuery = EventQuery.omit({ severity: true });
const PageQuery = z.strictObject({ cursor: z.string().optional(), limit: Limit });
const AuditQuery = z.strictObject({
  device: DeviceId.optional(),
  actor: z.string().max(64).optional(),
  action: z.string().max(48).optional(),
  from: QueryMs.optional(),
  to: QueryMs.optional(),
  cursor: z.string().optional(),
  limit: Limit,
});

/** Events, alarms (events of severity alarm or critical) and the audit log, newest first, cursor-paged. */
export async function recordRoutes(http: FastifyInstance, deps: RouteDeps): Promise<void> {
  const { auth, stores } = deps;

  const listEvents = async (scope: Scope, q: z.output<typeof EventQuery>, severities?: string[]) => {
    const page = await stores.meta.listEvents(
      scope,
      { deviceId: q.device, gatewayId: q.gateway, type: q.type, severities: severities ?? q.severity, fromMs: q.from, toMs: q.to },
      { limit: q.limit, after: decodeCursor(q.cursor, CURSOR.newestFirst) },
    );
    return { items: page.items.map(eventOf), nextCursor: encodeCursor(page.next) };
  };

  http.get(
    '/v1/events',
    {
      onRequest: auth.role('viewer'),
      schema: {
        summary: 'Events, newest first; severity is a comma list',
        tags: ['events'],
        security: SECURITY,
        querystring: doc(EventQuery),
        response: responses(Paged(Event)),
      },
    },
    async (req) => listEvents(scopeOf(req.principal), parse(EventQuery, req.query, 'query')),
  );

  http.get(
    '/v1/alarms',
    {
      onRequest: auth.role('viewer'),
      schema: {
        summary: 'Alarms (severity alarm or critical), newest first',
        tags: ['events'],
        security: SECURITY,
        querystring: doc(AlarmQuery),
        response: responses(Paged(Event)),
      },
    },
    async (req) => listEvents(scopeOf(req.principal), parse(AlarmQuery, req.query, 'query'), ['alarm', 'critical']),
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
      schema: {
        summary: 'Audit log (gateway and cloud), newest first',
        tags: ['audit'],
        security: SECURITY,
        querystring: doc(AuditQuery),
        response: responses(Paged(AuditEntry)),
      },
    },
    async (req) => {
      const q = parse(AuditQuery, req.query, 'query');
      const page = await stores.meta.listAudit(
        scopeOf(req.principal),
        { deviceId: q.device, actorId: q.actor, action: q.action, fromMs: q.from, toMs: q.to },
        { limit: q.limit, after: decodeCursor(q.cursor, CURSOR.newestFirst) },
      );
      return { items: page.items.map(auditEntryOf), nextCursor: encodeCursor(page.next) };
    },
  );
}
