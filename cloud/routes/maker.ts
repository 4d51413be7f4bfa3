import { SvError } from '../../shared/errors.js';
import type { Principal } from '../http/auth.js';
import type { MetaStore, Role } from '../stores/types.js';

/** The user behind a request: the session's, or the one who made the API key (null: a key the CLI made). */
export function makerOf(p: Principal | null): string | null {
  if (p?.kind === 'user') return p.id;
  return p?.kind === 'key' ? p.createdBy : null;
}

/**
 * Inside the org's lock, before a key or an invitation is made: what the request was let in with
 * still holds. The asking key is not revoked, and its maker (or the session's user) is still an
 * admin of the org. A demotion or a removal takes the same lock, so
 * a request verified just before it (or through a verification cached on another instance) cannot
 * leave behind a key or an invitation its maker may no longer grant. (Making either needs admin.)
 */
export async function stillEntitled(meta: MetaStore, p: Principal | null, orgId: string): Promise<void> {
  if (p?.kind === 'key' && !(await meta.apiKeyLive(orgId, p.id)))
    throw new SvError('SV_ERR_UNAUTHORIZED', 'invalid or revoked API key', ['key: revoked']);
  const maker = makerOf(p);
  if (maker === null) return;
  const user = await meta.users.userById(maker);
  const now: Role | 'none' = user && user.orgId === orgId && user.disabledMs === null ? user.role : 'none';
  if (now !== 'admin')
    throw new SvError('SV_ERR_FORBIDDEN', `the user behind this request is now ${now === 'none' ? 'gone' : now}`, [
      `principal.role: ${now} < admin`,
    ]);
}
