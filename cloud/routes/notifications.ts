import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { SvError } from '../../shared/errors.js';
import { type Notification, notificationText } from '../../shared/notify/message.js';
import { newId } from '../auth/tokens.js';
import { scopeOf } from '../http/auth.js';
import { CURSOR, decodeCursor, doc, encodeCursor, Limit, noBody, parse } from '../http/validate.js';
import { ChannelSpec, channelView } from '../notify/channel-spec.js';
import { privateLiteral } from '../notify/target-guard.js';
import type { Scope } from '../stores/types.js';
import { auditVia, orgWide, type RouteDeps, SECURITY } from './deps.js';
import { createWithinOrgLimit } from './org-limits.js';

const ChannelId = z.string().regex(/^nch-[0-9a-f]{12}$/, 'a channel id (nch-…)');
const ListQuery = z.strictObject({ cursor: z.string().optional(), limit: Limit });
const DeliveriesQuery = z.strictObject({
  cursor: z.string().optional(),
  limit: Limit,
  state: z.enum(['pending', 'sent', 'failed']).optional(),
  channel: ChannelId.optional(),
});
const IdParams = z.strictObject({ id: ChannelId });
const TestBody = z.strictObject({ channel: ChannelId.optional() });
const SESSION_OR_KEY = [...SECURITY, { session: [] }];

/** Channels are the org's: a key limited to one gateway manages none. */
const orgScope = (s: Scope): Scope => orgWide(s, 'notification channels');

/**
 * The org's notification channels (webhook, ntfy, e-mail) and its last delivery attempts
 * (docs/notifications.md). Channels are an org admin's; the attempts are anyone's in the org.
 */
export async function notificationRoutes(http: FastifyInstance, deps: RouteDeps): Promise<void> {
  const { auth, stores, now } = deps;
  const tags = ['notifications'];

  http.get(
    '/v1/notifications/channels',
    {
      onRequest: auth.role('admin'),
      schema: {
        summary: "The org's notification channels (never a webhook secret or a password)",
        tags,
        security: SESSION_OR_KEY,
        querystring: doc(ListQuery),
      },
    },
    async (req) => {
      const q = parse(ListQuery, req.query, 'query');
      const scope = orgScope(scopeOf(req.principal));
      const page = await stores.meta.notify.listChannels(scope, { limit: q.limit, after: decodeCursor(q.cursor, CURSOR.byId) });
      return { items: page.items.map(channelView), nextCursor: encodeCursor(page.next) };
    },
  );

  http.post(
    '/v1/notifications/channels',
    {
      onRequest: auth.role('admin'),
      schema: {
        summary: 'Add a channel: webhook (url, secret), ntfy (url) or email (smtpUrl, to)',
        tags,
        security: SESSION_OR_KEY,
        body: doc(ChannelSpec),
      },
    },
    async (req, reply) => {
      const spec = parse(ChannelSpec, req.body, 'body');
      const [field, target] = spec.kind === 'email' ? ['smtpUrl', spec.smtpUrl] : ['url', spec.url];
      const refused = deps.config.notify.allowPrivateTargets ? null : privateLiteral(target);
      if (refused)
        throw new SvError('SV_ERR_VALIDATION', 'invalid body', [`body.${field}: ${refused}; not allowed (notify.allowPrivateTargets)`]);
      const scope = orgScope(scopeOf(req.principal));
      const row = await createWithinOrgLimit(deps, scope.orgId, 'channels', (meta) =>
        meta.notify.addChannel(scope, { id: newId('nch'), spec, nowMs: now() }),
      );
      const view = channelView(row);
      await auditVia(deps, req.principal, 'notify.channel.add', { channelId: row.id, kind: spec.kind });
      return reply.code(201).send(view);
    },
  );

  http.delete(
    '/v1/notifications/channels/:id',
    {
      onRequest: auth.role('admin'),
      schema: { summary: 'Remove a channel; what still waited for it is given up', tags, security: SESSION_OR_KEY, params: doc(IdParams) },
    },
    async (req, reply) => {
      const { id } = parse(IdParams, req.params, 'params');
      noBody(req.body);
      const scope = orgScope(scopeOf(req.principal));
      if (!(await stores.meta.notify.deleteChannel(scope, id, now()))) throw new SvError('SV_ERR_NOT_FOUND', `channel ${id} is unknown`);
      await auditVia(deps, req.principal, 'notify.channel.remove', { channelId: id });
      return reply.code(204).send();
    },
  );

  http.post(
    '/v1/notifications/test',
    {
      onRequest: auth.role('admin'),
      schema: {
        summary: 'Queue a test notification to every channel of the org (or one): see its attempts in GET /v1/notifications',
        tags,
        security: SESSION_OR_KEY,
        body: doc(TestBody),
      },
    },
    async (req, reply) => {
      const body = parse(TestBody, req.body, 'body');
      const scope = orgScope(scopeOf(req.principal));
      if (body.channel !== undefined && !(await stores.meta.notify.getChannel(scope, body.channel)))
        throw new SvError('SV_ERR_NOT_FOUND', `channel ${body.channel} is unknown`);
      const at = now();
      const n: Notification = {
        id: `test-${at.toString(36)}-${randomBytes(4).toString('hex')}`,
        type: 'test',
        severity: 'info',
        deviceId: null,
        at: new Date(at).toISOString(),
        text: notificationText({ type: 'test', data: { from: 'cloud' } }) as string,
      };
      const deliveries = await stores.meta.notify.enqueue(scope, n, at, body.channel);
      if (deliveries === 0)
        throw new SvError('SV_ERR_CONFLICT', 'the org has no notification channel yet: add one first', ['channels: none']);
      deps.notifier?.kick();
      return reply.code(202).send({ id: n.id, deliveries });
    },
  );

  http.get(
    '/v1/notifications',
    {
      onRequest: auth.role('viewer'),
      schema: {
        summary: "The org's notification deliveries, newest first: state, attempts, last attempt and error, the notification",
        tags,
        security: SESSION_OR_KEY,
        querystring: doc(DeliveriesQuery),
      },
    },
    async (req) => {
      const q = parse(DeliveriesQuery, req.query, 'query');
      const after = decodeCursor(q.cursor, CURSOR.byId);
      if (after && !/^\d{1,18}$/.test(String(after[0])))
        throw new SvError('SV_ERR_VALIDATION', 'invalid query', ['query.cursor: not a cursor this API issued']);
      const page = await stores.meta.notify.listDeliveries(
        scopeOf(req.principal),
        { ...(q.state ? { state: q.state } : {}), ...(q.channel ? { channelId: q.channel } : {}) },
        { limit: q.limit, after },
      );
      return { items: page.items, nextCursor: encodeCursor(page.next) };
    },
  );
}
