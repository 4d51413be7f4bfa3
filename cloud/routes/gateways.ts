import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { SvError } from '../../shared/errors.js';
import { DeviceId } from '../../shared/protocol/device-id.js';
import { createGateway, DEFAULT_TOKEN_GRACE_S, MAX_TOKEN_GRACE_S, rotateGatewayToken } from '../admin.js';
import { scopeOf } from '../http/auth.js';
import { CURSOR, decodeCursor, doc, encodeCursor, Limit, noBody, parse } from '../http/validate.js';
import { auditVia, orgWide, type RouteDeps, SECURITY } from './deps.js';
import { createWithinOrgLimit } from './org-limits.js';

const ListQuery = z.strictObject({ cursor: z.string().optional(), limit: Limit });
const CreateBody = z.strictObject({ name: DeviceId });
const IdParams = z.strictObject({ id: DeviceId });
const RotateBody = z.strictObject({
  graceS: z.number().int().min(0).max(MAX_TOKEN_GRACE_S).default(DEFAULT_TOKEN_GRACE_S),
});

export async function gatewayRoutes(http: FastifyInstance, deps: RouteDeps): Promise<void> {
  const { auth, stores, now } = deps;
  const tags = ['gateways'];

  http.get(
    '/v1/gateways',
    {
      onRequest: auth.role('viewer'),
      schema: {
        summary: 'Gateways: last seen, reported backlog, alive (heartbeat)',
        tags,
        security: SECURITY,
        querystring: doc(ListQuery),
      },
    },
    async (req) => {
      const q = parse(ListQuery, req.query, 'query');
      const page = await stores.meta.listGateways(scopeOf(req.principal), { limit: q.limit, after: decodeCursor(q.cursor, CURSOR.byId) });
      const alive = await Promise.all(page.items.map((g) => stores.state.gatewayAlive(g.id)));
      return { items: page.items.map((g, i) => ({ ...g, alive: alive[i] })), nextCursor: encodeCursor(page.next) };
    },
  );

  http.post(
    '/v1/gateways',
    {
      onRequest: auth.role('admin'),
      schema: { summary: 'Register a gateway; its token is returned once', tags, security: SECURITY, body: doc(CreateBody) },
    },
    async (req, reply) => {
      const { name } = parse(CreateBody, req.body, 'body');
      const orgId = scopeOf(req.principal).orgId;
      const created = await createWithinOrgLimit(deps, orgId, 'gateways', (meta) => createGateway(meta, name, orgId, now()));
      await auditVia(deps, req.principal, 'gateway.add', { gatewayId: created.id });
      return reply.code(201).send(created);
    },
  );

  http.post(
    '/v1/gateways/:id/token',
    {
      onRequest: auth.role('admin'),
      schema: {
        summary: 'Give a gateway a new token, returned once; the old one is still accepted for graceS seconds (default 3600, 0: no longer)',
        tags,
        security: SECURITY,
        params: doc(IdParams),
        body: doc(RotateBody),
      },
    },
    async (req) => {
      const { id } = parse(IdParams, req.params, 'params');
      const { graceS } = parse(RotateBody, req.body ?? {}, 'body');
      // A token is the gateway's identity: only an org-wide admin issues one, never a key limited to a gateway.
      const scope = orgWide(scopeOf(req.principal), 'gateway tokens');
      const rotated = await rotateGatewayToken(stores.meta, scope, id, now(), graceS);
      if (!rotated) throw new SvError('SV_ERR_NOT_FOUND', `gateway ${id} is unknown or revoked`, ['params.id: no active gateway']);
      // This instance re-verifies at once; another instance's cached verification of the old token
      // lasts auth.cacheTtlMs at most, as after a revoke.
      auth.forget({ kind: 'gateway', id });
      await auditVia(deps, req.principal, 'gateway.token.rotate', { gatewayId: id, graceS });
      return rotated;
    },
  );

  http.delete(
    '/v1/gateways/:id',
    { onRequest: auth.role('admin'), schema: { summary: 'Revoke a gateway token', tags, security: SECURITY, params: doc(IdParams) } },
    async (req, reply) => {
      const { id } = parse(IdParams, req.params, 'params');
      noBody(req.body);
      if (!(await stores.meta.revokeGateway(scopeOf(req.principal), id, now())))
        throw new SvError('SV_ERR_NOT_FOUND', `gateway ${id} is unknown or already revoked`);
      auth.forget({ kind: 'gateway', id });
      await auditVia(deps, req.principal, 'gateway.revoke', { gatewayId: id });
      return reply.code(204).send();
    },
  );
}
