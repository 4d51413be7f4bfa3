import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { SvError } from '../../shared/errors.js';
import { DeviceId } from '../../shared/protocol/device-id.js';
import { createApiKey } from '../admin.js';
import { scopeOf } from '../http/auth.js';
import { CURSOR, decodeCursor, doc, encodeCursor, Limit, noBody, parse } from '../http/validate.js';
import { ROLES } from '../stores/types.js';
import { auditVia, type RouteDeps, SECURITY } from './deps.js';
import { makerOf, stillEntitled } from './maker.js';
import { createWithinOrgLimit } from './org-limits.js';

const ListQuery = z.strictObject({ cursor: z.string().optional(), limit: Limit });
const CreateBody = z.strictObject({
  role: z.enum(ROLES as [string, ...string[]]),
  owner: z.string().regex(/^[\w.@+-]{1,64}$/),
  gateway: DeviceId.optional(),
});
const IdParams = z.strictObject({ id: z.string().regex(/^key-[0-9a-f]{12}$/, 'an API key id (key-…)') });

/** API keys (admin only); the key itself is returned once, at creation. */
export async function keyRoutes(http: FastifyInstance, deps: RouteDeps): Promise<void> {
  const { auth, stores, now } = deps;
  const tags = ['keys'];

  http.get(
    '/v1/keys',
    {
      onRequest: auth.role('admin'),
      schema: { summary: 'API keys (never the keys themselves)', tags, security: SECURITY, querystring: doc(ListQuery) },
    },
    async (req) => {
      const q = parse(ListQuery, req.query, 'query');
      const page = await stores.meta.listApiKeys(scopeOf(req.principal), { limit: q.limit, after: decodeCursor(q.cursor, CURSOR.byId) });
      return { items: page.items, nextCursor: encodeCursor(page.next) };
    },
  );

  http.post(
    '/v1/keys',
    {
      onRequest: auth.role('admin'),
      schema: { summary: 'Create an API key; the key is returned once', tags, security: SECURITY, body: doc(CreateBody) },
    },
    async (req, reply) => {
      const body = parse(CreateBody, req.body, 'body');
      const scope = scopeOf(req.principal);
      // A key limited to a gateway creates keys for that gateway only (never a wider one).
      const gatewayId = scope.gatewayId ?? body.gateway ?? null;
      if (scope.gatewayId && body.gateway && body.gateway !== scope.gatewayId)
        throw new SvError('SV_ERR_FORBIDDEN', 'this key is limited to one gateway', [`body.gateway: must be ${scope.gatewayId}`]);
      // The maker is a user: the session's, or the one behind the key that makes this one.
      const p = req.principal;
      const created = await createWithinOrgLimit(deps, scope.orgId, 'apiKeys', async (meta) => {
        await stillEntitled(meta, p, scope.orgId);
        return createApiKey(meta, { role: body.role, owner: body.owner, orgId: scope.orgId, gatewayId, createdBy: makerOf(p) }, now());
      });
      await auditVia(deps, req.principal, 'key.add', { keyId: created.id, newRole: created.role, owner: body.owner });
      return reply.code(201).send(created);
    },
  );

  http.delete(
    '/v1/keys/:id',
    { onRequest: auth.role('admin'), schema: { summary: 'Revoke an API key', tags, security: SECURITY, params: doc(IdParams) } },
    async (req, reply) => {
      const { id } = parse(IdParams, req.params, 'params');
      noBody(req.body);
      if (!(await stores.meta.revokeApiKey(scopeOf(req.principal), id, now())))
        throw new SvError('SV_ERR_NOT_FOUND', `API key ${id} is unknown or already revoked`);
      auth.forget({ kind: 'key', id });
      await auditVia(deps, req.principal, 'key.revoke', { revokedKeyId: id });
      return reply.code(204).send();
    },
  );
}
