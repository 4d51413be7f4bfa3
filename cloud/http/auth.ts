import type { FastifyReply, FastifyRequest } from 'fastify';
import { SvError } from '../../shared/errors.js';
import { bearer, hashSecret } from '../auth/tokens.js';
import type { MetaStore, Role, Scope } from '../stores/types.js';

/** Who made a request: a gateway (ingest) or the owner of an API key (everything else); each acts in one org. */
export type Principal =
  | { kind: 'gateway'; id: string; orgId: string }
  | { kind: 'key'; id: string; owner: string; role: Role; orgId: string; gatewayId: string | null };

/** The part of the stores a principal may see: its org, and a gateway-limited key only its gateway. */
export function scopeOf(p: Principal | null): Scope {
  if (!p) throw new SvError('SV_ERR_UNAUTHORIZED', 'authentication required');
  return p.kind === 'key' ? { orgId: p.orgId, gatewayId: p.gatewayId } : { orgId: p.orgId, gatewayId: p.id };
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

/**
 * Verifies bearer secrets against their stored hashes, with a short positive cache so that the
 * meta store is not hit per batch (a revocation takes effect within `cacheTtlMs`). A meta store
 * that cannot answer is a 503, never a 401: the gateway must retry, not give up its token.
 */
export class Authenticator {
  private readonly cache = new Map<string, { principal: Principal; until: number }>();
  /** Failed attempts per client address in the current minute (the rate limiter runs after auth). */
  private failures = new Map<string, number>();
  private window = 0;
  constructor(
    private readonly meta: MetaStore,
    private readonly cacheTtlMs: number,
    private readonly failuresPerMin: number,
  ) {}

  /** Verifies, counting failures per address: past the limit the address gets 429 for the rest of the minute. */
  async check(kind: Principal['kind'], header: string | undefined, ip: string): Promise<Principal> {
    const minute = Math.floor(Date.now() / 60_000);
    if (minute !== this.window) {
      this.window = minute;
      this.failures = new Map();
    }
    if ((this.failures.get(ip) ?? 0) >= this.failuresPerMin) {
      throw new SvError('SV_ERR_AUTH_BANNED', 'too many failed authentications from this address; retry in a minute');
    }
    try {
      return await this.verify(kind, header);
    } catch (err) {
      if ((err as SvError).code === 'SV_ERR_UNAUTHORIZED') this.failures.set(ip, (this.failures.get(ip) ?? 0) + 1);
      throw err;
    }
  }

  async verify(kind: Principal['kind'], header: string | undefined): Promise<Principal> {
    const secret = bearer(header);
    if (!secret) throw new SvError('SV_ERR_UNAUTHORIZED', 'missing or malformed Authorization: Bearer header', ['authorization: required']);
    const hash = hashSecret(secret);
    const hit = this.cache.get(hash);
    if (hit && hit.until > Date.now() && hit.principal.kind === kind) return hit.principal;
    let principal: Principal | null = null;
    try {
      if (kind === 'gateway') {
        const g = await this.meta.gatewayByTokenHash(hash);
        if (g) principal = { kind: 'gateway', id: g.id, orgId: g.orgId };
      } else {
        const k = await this.meta.apiKeyByHash(hash);
        if (k) principal = { kind: 'key', id: k.id, owner: k.owner, role: k.role, orgId: k.orgId, gatewayId: k.gatewayId };
      }
    } catch (err) {
      throw new SvError('SV_ERR_SINK_UNAVAILABLE', 'cannot verify credentials: meta store unavailable', [
        `mysql: ${(err as Error).message}`,
      ]);
    }
    if (!principal) throw new SvError('SV_ERR_UNAUTHORIZED', `invalid or revoked ${kind === 'gateway' ? 'gateway token' : 'API key'}`);
    if (this.cacheTtlMs > 0) {
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(hash, { principal, until: Date.now() + this.cacheTtlMs });
    }
    return principal;
  }

  forget(): void {
    this.cache.clear();
  }

  /** onRequest hook: an API key with at least `role`. */
  role(role: Role) {
    return async (req: FastifyRequest, _reply: FastifyReply) => {
      const p = await this.check('key', req.headers.authorization, req.ip);
      if (p.kind !== 'key' || RANK[p.role] < RANK[role]) {
        throw new SvError('SV_ERR_FORBIDDEN', `this action needs the ${role} role`, [
          `role: ${p.kind === 'key' ? p.role : 'gateway'} < ${role}`,
        ]);
      }
      req.principal = p;
    };
  }

  /** onRequest hook: a gateway token. */
  gateway() {
    return async (req: FastifyRequest, _reply: FastifyReply) => {
      req.principal = await this.check('gateway', req.headers.authorization, req.ip);
    };
  }
}
