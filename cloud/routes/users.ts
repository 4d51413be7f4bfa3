import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { SvError } from '../../shared/errors.js';
import { createOrg } from '../admin.js';
import { createUser, Email } from '../auth/users.js';
import { type Principal, scopeOf } from '../http/auth.js';
import { CURSOR, decodeCursor, doc, encodeCursor, Limit, noBody, parse } from '../http/validate.js';
import { ROLES, type Role, type Scope } from '../stores/types.js';
import { auditVia, orgWide, type RouteDeps, SECURITY } from './deps.js';
import { makerOf, stillEntitled } from './maker.js';
import { createWithinOrgLimit } from './org-limits.js';

const ListQuery = z.strictObject({ cursor: z.string().optional(), limit: Limit });
const UserBody = z.strictObject({ email: Email, role: z.enum(ROLES as [string, ...string[]]) });
const OrgBody = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'lowercase letters, digits and "-", 2–63 characters'),
});
const SESSION_OR_KEY = [...SECURITY, { session: [] }];
const IdParams = z.strictObject({ id: z.string().regex(/^usr-[0-9a-f]{12}$/, 'a user id (usr-…)') });
const RoleBody = z.strictObject({ role: z.enum(ROLES as [string, ...string[]]) });

const noSuchUser = (id: string) => new SvError('SV_ERR_NOT_FOUND', `user ${id} is unknown`, ['params.id: no such user']);

/**
 * Before an admin removes or changes a user: not oneself (409; another admin of the org can), a
 * user of the caller's org (404, whether another org's or none), a service admin only by a service
 * admin (403), never by a key limited to a gateway (orgWide). Returns the org's scope.
 */
async function anotherUserOfOrg(
  deps: RouteDeps,
  p: Principal | null,
  id: string,
  act: { self: string; serviceAdmin: string },
): Promise<Scope> {
  // A key the user made is the user too: it may not restore or remove its maker.
  if (makerOf(p) === id)
    throw new SvError('SV_ERR_CONFLICT', `you cannot ${act.self}; another admin of the org can`, [
      p?.kind === 'user' ? 'params.id: the logged-in user' : 'params.id: the maker of this API key',
    ]);
  const scope = orgWide(scopeOf(p), 'users');
  const target = await deps.stores.meta.users.userById(id);
  if (!target || target.orgId !== scope.orgId) throw noSuchUser(id);
  if (target.serviceAdmin && !(p?.kind === 'user' && p.serviceAdmin))
    throw new SvError('SV_ERR_FORBIDDEN', `only a service admin can ${act.serviceAdmin}`, ['principal.role: not a service admin']);
  return scope;
}

/** The org's members (org admin) and the orgs themselves (service admin). */
export async function userRoutes(http: FastifyInstance, deps: RouteDeps): Promise<void> {
  const { auth, stores, now, config } = deps;
  const publicUrl = () => config.http.publicUrl ?? `http://localhost:${config.port}`;

  http.get(
    '/v1/users',
    {
      onRequest: auth.role('admin'),
      schema: {
        summary: "The org's users (never a password). Role: admin",
        tags: ['users'],
        security: SESSION_OR_KEY,
        querystring: doc(ListQuery),
      },
    },
    async (req) => {
      const q = parse(ListQuery, req.query, 'query');
      const page = await stores.meta.users.listUsers(orgWide(scopeOf(req.principal), 'users'), {
        limit: q.limit,
        after: decodeCursor(q.cursor, CURSOR.byId),
      });
      return { items: page.items, nextCursor: encodeCursor(page.next) };
    },
  );

  http.post(
    '/v1/users',
    {
      onRequest: auth.role('admin'),
      schema: {
        summary: 'Invite a user into the org: returns a one-time link. Role: admin',
        tags: ['users'],
        security: SESSION_OR_KEY,
        body: doc(UserBody),
      },
    },
    async (req, reply) => {
      const body = parse(UserBody, req.body, 'body');
      const orgId = orgWide(scopeOf(req.principal), 'users').orgId;
      const p = req.principal;
      const created = await createWithinOrgLimit(deps, orgId, 'users', async (meta) => {
        await stillEntitled(meta, p, orgId);
        return createUser(meta, { email: body.email, role: body.role, orgId, publicUrl: publicUrl(), invitedBy: makerOf(p) }, now());
      });
      await auditVia(deps, req.principal, 'user.add', { newUserId: created.id, email: body.email, newRole: body.role });
      return reply.code(201).send(created);
    },
  );

  http.delete(
    '/v1/users/:id',
    {
      onRequest: auth.role('admin'),
      schema: {
        summary: 'Remove a user from the org: their sessions end, their invitation dies, their e-mail may be invited again. Role: admin',
        tags: ['users'],
        security: SESSION_OR_KEY,
        params: doc(IdParams),
      },
    },
    async (req, reply) => {
      const { id } = parse(IdParams, req.params, 'params');
      noBody(req.body);
      const p = req.principal;
      const scope = await anotherUserOfOrg(deps, p, id, { self: 'remove yourself', serviceAdmin: 'remove a service admin' });
      const removed = await stores.meta.users.removeUser(scope, id, now());
      if (!removed) throw noSuchUser(id);
      if (removed === 'last-admin')
        throw new SvError('SV_ERR_CONFLICT', "the org's last admin cannot be removed; invite or promote another admin first", [
          'params.id: the only admin of the org',
        ]);
      for (const key of removed.revokedKeys) auth.forget({ kind: 'key', id: key });
      await auditVia(deps, p, 'user.remove', {
        removedUserId: id,
        email: removed.email,
        removedRole: removed.role,
        revokedKeys: removed.revokedKeys,
        withdrawnInvites: removed.withdrawnInvites,
      });
      return reply.code(204).send();
    },
  );

  http.patch(
    '/v1/users/:id',
    {
      onRequest: auth.role('admin'),
      schema: {
        summary: "Change a user's role: it applies from the user's next request. Role: admin",
        tags: ['users'],
        security: SESSION_OR_KEY,
        params: doc(IdParams),
        body: doc(RoleBody),
      },
    },
    async (req) => {
      const { id } = parse(IdParams, req.params, 'params');
      const role = parse(RoleBody, req.body, 'body').role as Role;
      const p = req.principal;
      const scope = await anotherUserOfOrg(deps, p, id, {
        self: 'change your own role',
        serviceAdmin: "change a service admin's role",
      });
      const changed = await stores.meta.users.changeRole(scope, id, role, now());
      if (!changed) throw noSuchUser(id);
      if (changed === 'last-admin')
        throw new SvError('SV_ERR_CONFLICT', "the org's only admin cannot be demoted; invite or promote another admin first", [
          'params.id: the only admin of the org',
        ]);
      // A session's role is read from the user's row on every request (auth.sessionUser); the
      // keys the user made above the new role were revoked with the change, and are forgotten here.
      for (const key of changed.revokedKeys) auth.forget({ kind: 'key', id: key });
      if (changed.oldRole !== role)
        await auditVia(deps, p, 'user.role', {
          changedUserId: id,
          email: changed.user.email,
          oldRole: changed.oldRole,
          newRole: role,
          revokedKeys: changed.revokedKeys,
          withdrawnInvites: changed.withdrawnInvites,
        });
      return changed.user;
    },
  );

  http.get(
    '/v1/orgs',
    {
      onRequest: auth.serviceAdmin(),
      schema: { summary: 'Every org. Role: service admin', tags: ['orgs'], security: SESSION_OR_KEY, querystring: doc(ListQuery) },
    },
    async (req) => {
      const q = parse(ListQuery, req.query, 'query');
      const page = await stores.meta.listOrgs({ limit: q.limit, after: decodeCursor(q.cursor, CURSOR.byId) });
      return { items: page.items, nextCursor: encodeCursor(page.next) };
    },
  );

  http.post(
    '/v1/orgs',
    {
      onRequest: auth.serviceAdmin(),
      schema: { summary: 'Create an org. Role: service admin', tags: ['orgs'], security: SESSION_OR_KEY, body: doc(OrgBody) },
    },
    async (req, reply) => {
      const body = parse(OrgBody, req.body, 'body');
      const org = await createOrg(stores.meta, body.name, now());
      await auditVia(deps, req.principal, 'org.add', { newOrgId: org.id, name: org.name });
      return reply.code(201).send(org);
    },
  );
}
