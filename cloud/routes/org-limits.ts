import { SvError } from '../../shared/errors.js';
import type { CloudConfig } from '../config.js';
import type { MetaStore, OrgObjectKind } from '../stores/types.js';
import type { RouteDeps } from './deps.js';

/**
 * The caps on what one org creates through the API (config section `org`): gateways, API keys,
 * users, notification channels and cook presets. Rate limits are per key and per gateway, so
 * without a cap an org admin who made more keys or gateways had more budget, and an org could
 * grow the meta store without bound. The CLI (the service operator) is not capped.
 *
 * The count and the creation run in one transaction under the org's lock (MetaStore.withOrgLock):
 * requests of one org that create at the same time, on one instance or several, take turns, so
 * the cap holds exactly. Another org's creations do not wait.
 */
const LIMITS: Record<OrgObjectKind, { key: keyof CloudConfig['org']; noun: string; free: string }> = {
  gateways: { key: 'maxGateways', noun: 'gateways', free: 'revoke one first' },
  apiKeys: { key: 'maxApiKeys', noun: 'API keys', free: 'revoke one first' },
  users: { key: 'maxUsers', noun: 'users', free: 'remove one first' },
  channels: { key: 'maxChannels', noun: 'notification channels', free: 'remove one first' },
  presets: { key: 'maxPresets', noun: 'cook presets', free: 'delete one first' },
};

/**
 * Creates one object of `kind` for the org through `create`, which must write through the store it
 * is given (bound to the org's locked transaction). Throws 409 SV_ERR_ORG_LIMIT, and creates
 * nothing, when the org already has as many live objects of `kind` as its cap allows. `counts`
 * says whether this creation adds one (a preset put under a name the org has replaces it); it is
 * asked inside the lock.
 */
export function createWithinOrgLimit<T>(
  deps: Pick<RouteDeps, 'config' | 'stores' | 'metrics'>,
  orgId: string,
  kind: OrgObjectKind,
  create: (meta: MetaStore) => Promise<T>,
  counts: (meta: MetaStore) => Promise<boolean> = async () => true,
): Promise<T> {
  const { key, noun, free } = LIMITS[kind];
  const cap = deps.config.org[key];
  return deps.stores.meta.withOrgLock(orgId, async (meta) => {
    if (await counts(meta)) {
      const live = await meta.countLive(orgId, kind);
      if (live >= cap) {
        deps.metrics.orgLimitRefused.inc({ limit: `org.${key}` });
        throw new SvError('SV_ERR_ORG_LIMIT', `the org may have at most ${cap} ${noun} and has ${live}`, [`org.${key}: ${cap} (${free})`]);
      }
    }
    return create(meta);
  });
}
