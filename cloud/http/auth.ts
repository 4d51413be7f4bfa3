import type { FastifyReply, FastifyRequest } from 'fastify';
import { SvError } from '../../shared/errors.js';
import { bearer, bearerProblem } from '../../shared/http/bearer.js';
import { monotonicNow } from '../../shared/time/monotonic.js';
import { hashSecret } from '../auth/tokens.js';
import { type MetaStore, ROLE_RANK, type Role, type Scope } from '../stores/types.js';
import type { FailureWindow } from './failures.js';

/** Who made a request: a gateway (ingest) or the owner of an API key (everything else); each acts in one org. */
export type Principal =
  | { kind: 'gateway'; id: string; orgId: string }
  /** `createdBy`: the user who made the key (directly or through a key the user made), null: the CLI. */
  | { kind: 'key'; id: string; owner: string; role: Role; orgId: string; gatewayId: string | null; createdBy: string | null }
  /** A dashboard user, from a server-side session. */
  | { kind: 'user'; id: string; email: string; role: Role; orgId: string; serviceAdmin: boolean };

/** The part of the stores a principal may see: its org, and a gateway-limited key only its gateway. */
export function scopeOf(p: Principal | null): Scope {
  if (!p) throw new SvError('SV_ERR_UNAUTHORIZED', 'authentication required');
  if (p.kind === 'key') return { orgId: p.orgId, gatewayId: p.gatewayId };
  return p.kind === 'user' ? { orgId: p.orgId } : { orgId: p.orgId, gatewayId: p.id };
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export interface Throttle {
  failures: FailureWindow;
  perAddress: number;
  perAccount: number;
  windowMs: number;
  /** Lockouts are audited (and logged) once, when a key first goes over its limit. */
  onLockout: (what: { scope: 'address' | 'account'; key: string; orgId: string | null }) => Promise<void>;
  now: () => number;
}

/**
 * Verifies bearer secrets against their stored hashes, with a short positive cache so that the
 * meta store is not hit per batch (a revocation takes effect within `cacheTtlMs`). A meta store
 * that cannot answer is a 503, never a 401: the gateway must retry, not give up its token.
 *
 * Failed attempts are counted per client address (and per account for logins) in a sliding
 * window. Past the limit, a wrong credential gets 429 instead of 401; a correct one is always
 * accepted: the ban stops guessing, not the people who share the address (docs/adr/027-tenancy.md).
 */
export class Authenticator {
  private readonly cache = new Map<string, { principal: Principal; until: number }>();
  /** When each credential was last forgotten (monotonic ms): a verification begun before that is not cached. */
  private readonly forgotten = new Map<string, number>();
  constructor(
    private readonly meta: MetaStore,
    private readonly cacheTtlMs: number,
    private readonly throttle: Throttle,
  ) {}

  async check(kind: Principal['kind'], header: string | undefined, ip: string): Promise<Principal> {
    try {
      return await this.verify(kind, header);
    } catch (err) {
      if ((err as SvError).code === 'SV_ERR_UNAUTHORIZED') await this.failed(ip, null);
      throw err;
    }
  }

  /**
   * Counts one failure of `ip` (and of `account`, a login's e-mail with its org, when known); throws
   * SV_ERR_AUTH_BANNED when either is over its limit, else returns (the caller answers 401).
   */
  async failed(ip: string, account: { key: string; orgId: string | null } | null): Promise<void> {
    const t = this.throttle;
    const now = t.now();
    const byAddress = await t.failures.record(`ip:${ip}`, now);
    const byAccount = account ? await t.failures.record(`acct:${account.key}`, now) : 0;
    if (byAddress === t.perAddress + 1) await t.onLockout({ scope: 'address', key: ip, orgId: null });
    if (account && byAccount === t.perAccount + 1) await t.onLockout({ scope: 'account', key: account.key, orgId: account.orgId });
    if (byAddress > t.perAddress || (account && byAccount > t.perAccount)) {
      const what = byAddress > t.perAddress ? 'this address' : 'this account';
      throw new SvError('SV_ERR_AUTH_BANNED', `too many failed authentications from ${what}; retry later`, [
        `window: ${Math.round(t.windowMs / 1000)} s`,
      ]);
    }
  }

  /** Whether an account is over its failure limit (a login for it is then refused, whatever the password). */
  async accountLocked(key: string): Promise<boolean> {
    return (await this.throttle.failures.count(`acct:${key}`, this.throttle.now())) > this.throttle.perAccount;
  }

  async verify(kind: Principal['kind'], header: string | undefined): Promise<Principal> {
    const secret = bearer(header);
    if (!secret) throw new SvError('SV_ERR_UNAUTHORIZED', 'missing or malformed Authorization: Bearer header', [bearerProblem(header)]);
    const hash = hashSecret(secret);
    const hit = this.cache.get(hash);
    const started = monotonicNow();
    if (hit && hit.until > started && hit.principal.kind === kind) return hit.principal;
    let principal: Principal | null = null;
    let cacheable = true;
    try {
      if (kind === 'gateway') {
        let g = await this.meta.gatewayByTokenHash(hash);
        if (!g) {
          // A token rotated away, in its grace: accepted, never cached (its grace may end first).
          g = await this.meta.gatewayByPreviousTokenHash(hash, this.throttle.now());
          cacheable = false;
        }
        if (g) principal = { kind: 'gateway', id: g.id, orgId: g.orgId };
      } else {
        const k = await this.meta.apiKeyByHash(hash);
        if (k)
          principal = {
            kind: 'key',
            id: k.id,
            owner: k.owner,
            role: k.role,
            orgId: k.orgId,
            gatewayId: k.gatewayId,
            createdBy: k.createdBy,
          };
      }
    } catch (err) {
      throw new SvError('SV_ERR_SINK_UNAVAILABLE', 'cannot verify credentials: meta store unavailable', [
        `mysql: ${(err as Error).message}`,
      ]);
    }
    if (!principal)
      throw new SvError('SV_ERR_UNAUTHORIZED', `invalid or revoked ${kind === 'gateway' ? 'gateway token' : 'API key'}`, [
        bearerProblem(header),
      ]);
    // A revoke or a rotation that ran while this lookup was on its way must not be undone by it.
    const forgottenAt = this.forgotten.get(`${principal.kind}:${principal.id}`);
    if (this.cacheTtlMs > 0 && cacheable && (forgottenAt === undefined || forgottenAt < started)) {
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(hash, { principal, until: monotonicNow() + this.cacheTtlMs });
    }
    return principal;
  }

  /**
   * Drops a revoked (or rotated) credential's cached verifications on this instance (others'
   * entries stay: a revoke in one org costs the rest nothing).
   */
  forget(revoked: { kind: 'gateway' | 'key'; id: string }): void {
    const now = monotonicNow();
    // Marks older than any lookup still on its way are no longer needed.
    for (const [key, at] of this.forgotten) if (at < now - Math.max(this.cacheTtlMs, 60_000)) this.forgotten.delete(key);
    this.forgotten.set(`${revoked.kind}:${revoked.id}`, now);
    for (const [hash, hit] of this.cache)
      if (hit.principal.kind === revoked.kind && hit.principal.id === revoked.id) this.cache.delete(hash);
  }

  /** The logged-in user of the request's session (a user removed or disabled since then: none). */
  async sessionUser(req: FastifyRequest): Promise<Extract<Principal, { kind: 'user' }> | null> {
    const userId = req.session?.userId;
    if (!userId) return null;
    const u = await this.meta.users.userById(userId).catch((err: Error) => {
      throw new SvError('SV_ERR_SINK_UNAVAILABLE', 'cannot verify the session: meta store unavailable', [`mysql: ${err.message}`]);
    });
    if (!u || u.disabledMs !== null || u.orgId !== req.session.orgId) return null;
    return { kind: 'user', id: u.id, email: u.email, role: u.role, orgId: u.orgId, serviceAdmin: u.serviceAdmin };
  }

  /**
   * onRequest hooks: an API key (Authorization: Bearer) or a session of a user with at least
   * `role`; a state-changing call on a session also needs its CSRF token (x-csrf-token).
   */
  role(role: Role) {
    const authenticate = async (req: FastifyRequest, _reply: FastifyReply) => {
      const user = req.headers.authorization === undefined ? await this.sessionUser(req) : null;
      if (!user && req.headers.authorization === undefined && hasSessionCookie(req)) {
        await this.failed(req.ip, null);
        throw new SvError('SV_ERR_UNAUTHORIZED', 'the session has ended (logged out or expired); log in again', [
          'session: ended or unknown',
        ]);
      }
      const p = user ?? (await this.check('key', req.headers.authorization, req.ip));
      if ((p.kind !== 'key' && p.kind !== 'user') || ROLE_RANK[p.role] < ROLE_RANK[role]) {
        throw new SvError('SV_ERR_FORBIDDEN', `this action needs the ${role} role`, [
          `principal.role: ${p.kind === 'gateway' ? 'gateway' : p.role} < ${role}`,
        ]);
      }
      req.principal = p;
    };
    return [needs(authenticate, `${role} (API key or session)`), this.csrf];
  }

  /** onRequest hook: a service admin's session (creates orgs). */
  serviceAdmin() {
    const authenticate = async (req: FastifyRequest, _reply: FastifyReply) => {
      const user = await this.sessionUser(req);
      if (!user) {
        if (req.headers.authorization !== undefined) await this.check('key', req.headers.authorization, req.ip);
        if (req.headers.authorization === undefined) throw new SvError('SV_ERR_UNAUTHORIZED', 'log in first');
      }
      if (!user?.serviceAdmin)
        throw new SvError('SV_ERR_FORBIDDEN', 'this action needs a service admin', ['principal.role: not a service admin']);
      req.principal = user;
    };
    return [needs(authenticate, 'service admin (session)'), this.csrf];
  }

  /** The CSRF check (@fastify/csrf-protection), for session calls that change state; set by app.ts. */
  csrf: (req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => void = (_req, _reply, done) => done();

  /** onRequest hook: a gateway token. */
  gateway() {
    return needs(async (req: FastifyRequest, _reply: FastifyReply) => {
      req.principal = await this.check('gateway', req.headers.authorization, req.ip);
    }, 'gateway token');
  }
}

/** Whether the request carries a session cookie (one the session store no longer knows, when no user came of it). */
function hasSessionCookie(req: FastifyRequest): boolean {
  return /(?:^|;\s*)sv_session=/.test(req.headers.cookie ?? '');
}

/** The credential a route's hook demands, read back by app.ts into the OpenAPI document (`x-role`). */
export const NEEDS = Symbol('needs');
function needs<T extends object>(hook: T, what: string): T {
  return Object.assign(hook, { [NEEDS]: what });
}

/** What a route's onRequest hooks demand ('none' for a public route). */
export function neededBy(onRequest: unknown): string {
  const hooks = Array.isArray(onRequest) ? onRequest.flat() : [onRequest];
  for (const h of hooks) if (h && typeof h === 'function' && NEEDS in h) return String((h as unknown as Record<symbol, string>)[NEEDS]);
  return 'none';
}
