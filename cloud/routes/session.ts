import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { SvError } from '../../shared/errors.js';
import { setDeviceCookie, trustedDevice } from '../auth/device-cookie.js';
import { hashPassword, PASSWORD_MAX, requirePolicy, verifyPassword } from '../auth/password.js';
import { hashSecret } from '../auth/tokens.js';
import { Email } from '../auth/users.js';
import { secureCookies } from '../http/secure-cookies.js';
import { doc, noBody, parse } from '../http/validate.js';
import { auditOf, type RouteDeps } from './deps.js';

const LoginBody = z.strictObject({ email: Email, password: z.string().min(1).max(PASSWORD_MAX) });
const PasswordBody = z.strictObject({ current: z.string().min(1).max(PASSWORD_MAX), next: z.string().max(PASSWORD_MAX) });
const InviteBody = z.strictObject({
  token: z.string().regex(/^svi_[A-Za-z0-9_-]{43}$/, 'the token of an invitation link'),
  password: z.string().max(PASSWORD_MAX),
});
const SESSION = [{ session: [] }];

/**
 * Dashboard sessions (docs/adr/028-user-sessions.md): log in with e-mail and password (a server-side
 * session in an httpOnly, SameSite=Strict cookie, Secure under TLS), who is logged in with the
 * CSRF token for state-changing calls, log out, change the password, accept an invitation.
 */
export async function sessionRoutes(http: FastifyInstance, deps: RouteDeps): Promise<void> {
  const { auth, stores, now } = deps;
  const users = stores.meta.users;
  const tags = ['session'];

  http.post(
    '/v1/auth/login',
    { schema: { summary: 'Log in with e-mail and password; sets the session cookie. Role: none', tags, body: doc(LoginBody) } },
    async (req, replyObj) => {
      const body = parse(LoginBody, req.body, 'body');
      const user = await users.userByEmail(body.email);
      // A browser that logged in to this account before (a valid device cookie, while it has not
      // failed too often itself) is counted on its own: others' guesses do not lock it out (ADR 075).
      const device = trustedDevice(req, user?.id);
      const trusted = device !== null && !(await auth.accountLocked(device));
      const account = { key: trusted ? device : body.email, orgId: user?.orgId ?? null };
      // An account over its failure limit is refused whatever the password, except from a trusted
      // browser (whose own count was just read: under its limit).
      if (!trusted && (await auth.accountLocked(account.key))) await auth.failed(req.ip, account);
      const ok = (await verifyPassword(user?.passwordHash ?? null, body.password)) && user !== null && user.disabledMs === null;
      if (!ok || !user) {
        await auth.failed(req.ip, account);
        throw new SvError('SV_ERR_UNAUTHORIZED', 'wrong e-mail or password');
      }
      await req.session.regenerate(); // a new id at login: a planted session id is worth nothing
      req.session.userId = user.id;
      req.session.orgId = user.orgId;
      req.session.loginMs = now();
      setDeviceCookie(replyObj, user.id, secureCookies(deps.config));
      const org = await stores.meta.findOrg(user.orgId);
      await stores.meta.addAudit(auditOf(await auth.sessionUser(req), now(), 'user.login', null, 'dashboard login', { ip: req.ip }));
      return {
        user: { id: user.id, email: user.email, role: user.role, serviceAdmin: user.serviceAdmin },
        org: { id: user.orgId, name: org?.name ?? user.orgId },
        csrfToken: replyObj.generateCsrf(),
      };
    },
  );

  http.get(
    '/v1/auth/session',
    {
      schema: {
        summary: 'Who is logged in, in which org, and the CSRF token for state-changing calls. Role: any (session)',
        tags,
        security: SESSION,
      },
    },
    async (req, replyObj) => {
      const user = await auth.sessionUser(req);
      if (!user) throw new SvError('SV_ERR_UNAUTHORIZED', 'not logged in');
      const org = await stores.meta.findOrg(user.orgId);
      return {
        user: { id: user.id, email: user.email, role: user.role, serviceAdmin: user.serviceAdmin },
        org: { id: user.orgId, name: org?.name ?? user.orgId },
        csrfToken: replyObj.generateCsrf(),
      };
    },
  );

  http.post(
    '/v1/auth/logout',
    { onRequest: auth.role('viewer'), schema: { summary: 'End the session. Role: viewer (session, CSRF)', tags, security: SESSION } },
    async (req, replyObj) => {
      noBody(req.body);
      // A key is not ended by a logout: a script that thinks it was would go on holding a live key.
      if (req.principal?.kind !== 'user')
        throw new SvError(
          'SV_ERR_FORBIDDEN',
          'an API key has no session to end; revoke the key to stop it working (DELETE /v1/keys/{id})',
          ['authorization: use a session'],
        );
      await stores.meta.addAudit(auditOf(req.principal, now(), 'user.logout', null, 'dashboard logout', {}));
      await req.session.destroy();
      replyObj.clearCookie('sv_session', { path: '/' });
      return replyObj.code(204).send();
    },
  );

  http.post(
    '/v1/auth/password',
    {
      onRequest: auth.role('viewer'),
      schema: {
        summary: "Change one's password (ends the user's other sessions). Role: viewer (session, CSRF)",
        tags,
        security: SESSION,
        body: doc(PasswordBody),
      },
    },
    async (req, replyObj) => {
      const p = req.principal;
      if (p?.kind !== 'user')
        throw new SvError('SV_ERR_FORBIDDEN', 'only a logged-in user has a password', ['authorization: use a session']);
      const body = parse(PasswordBody, req.body, 'body');
      const user = await users.userById(p.id);
      if (!user || !(await verifyPassword(user.passwordHash, body.current))) {
        await auth.failed(req.ip, { key: p.email, orgId: p.orgId });
        throw new SvError('SV_ERR_UNAUTHORIZED', 'the current password is wrong', ['body.current: wrong password']);
      }
      requirePolicy(body.next, p.email, 'body.next');
      await users.setPassword(p.id, await hashPassword(body.next), now());
      const ended = await users.destroyUserSessions(p.id, hashSecret(req.session.sessionId));
      await stores.meta.addAudit(auditOf(p, now(), 'user.password', null, 'password changed', { endedSessions: ended }));
      return replyObj.code(204).send();
    },
  );

  http.post(
    '/v1/auth/invite',
    { schema: { summary: 'Accept an invitation: set the password (the link works once). Role: none', tags, body: doc(InviteBody) } },
    async (req, replyObj) => {
      const body = parse(InviteBody, req.body, 'body');
      const tokenHash = hashSecret(body.token);
      const invited = await users.peekInvite(tokenHash, now());
      const user = invited === null ? null : await users.userById(invited);
      if (!user) {
        await auth.failed(req.ip, null);
        throw new SvError('SV_ERR_NOT_FOUND', 'this invitation is unknown, used or expired', ['body.token: no valid invitation']);
      }
      requirePolicy(body.password, user.email, 'body.password'); // before the link is used up: a refused password can be retried
      if ((await users.takeInvite(tokenHash, now())) !== user.id)
        throw new SvError('SV_ERR_NOT_FOUND', 'this invitation is unknown, used or expired', ['body.token: no valid invitation']);
      await users.setPassword(user.id, await hashPassword(body.password), now());
      await stores.meta.addAudit({
        ...auditOf(null, now(), 'user.invite_accepted', null, 'invitation accepted', { userId: user.id }),
        orgId: user.orgId,
        actor: { type: 'user', id: user.email.slice(0, 64) },
      });
      return replyObj.code(204).send();
    },
  );
}
