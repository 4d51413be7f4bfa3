import { SvError } from '../../shared/errors.js';
import type { CloudConfig } from '../config.js';
import type { OrgObjectKind } from '../stores/types.js';
import type { RouteDeps } from './deps.js';

/**
 * The caps on what one org creates through the API (config section `org`): gateways, API keys,
 * users, notification channels and cook presets. Rate limits are per key and per gateway, so
 * without a cap an org admin who made more keys or gateways had more budget, and an org could
 * grow the meta store without bound. The CLI (the service operator) is not capped.
 *
 * Count, then insert: not atomic. Requests of one org that create at the same time may each see
 * room and pass the cap by as many as are in flight at once (each is a request of the caller's
 * rate budget). Once the count is at or above the cap every later creation is refused, so the
 * overshoot does not build up.
 */
const LIMITS: Record<OrgObjectKind, { key: keyof CloudConfig['org']; noun: string; free: string }> = {
  gateways: { key: 'maxGateways', noun: 'gateways', free: 'revoke one first' },
  apiKeys: { key: 'maxApiKeys', noun: 'API keys', free: 'revoke one first' },
  users: { key: 'maxUsers', noun: 'users', free: 'remove one first' },
  channels: { key: 'maxChannels', noun: 'notification channels', free: 'remove one first' },
  presets: { key: 'maxPresets', noun: 'cook presets', free: 'delete one first' },
};

/** Throws 409 SV_ERR_ORG_LIMIT when the org already has as many live objects of `kind` as its cap allows. */
export async function withinOrgLimit(
  deps: Pick<RouteDeps, 'config' | 'stores' | 'metrics'>,
  orgId: string,
  kind: OrgObjectKind,
): Promise<void> {
  const { key, noun, free } = LIMITS[kind];
  const cap = deps.config.org[key];
  const live = await deps.stores.meta.countLive(orgId, kind);
  if (live < cap) return;
  deps.metrics.orgLimitRefused.inc({ limit: `org.${key}` });
  throw new SvError('SV_ERR_ORG_LIMIT', `the org may have at most ${cap} ${noun} and has ${live}`, [`org.${key}: ${cap} (${free})`]);
}
