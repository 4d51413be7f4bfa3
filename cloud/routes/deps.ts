import type { Logger } from 'pino';
import { SvError } from '../../shared/errors.js';
import { newId } from '../auth/tokens.js';
import type { CloudConfig } from '../config.js';
import type { Authenticator, Principal } from '../http/auth.js';
import type { IngestPipeline } from '../ingest/pipeline.js';
import type { CloudMetrics } from '../metrics.js';
import type { CloudNotifier } from '../notify/notifier.js';
import { type AlarmRow, type AuditRow, DEFAULT_ORG, type Scope, type Stores } from '../stores/types.js';

/** What the route plugins share; built once in app.ts. */
export interface RouteDeps {
  config: CloudConfig;
  stores: Stores;
  auth: Authenticator;
  pipeline: IngestPipeline;
  metrics: CloudMetrics;
  log: Logger;
  now: () => number;
  /** The delivery worker (a queued test notification wakes it). */
  notifier?: CloudNotifier;
  /** An alarm changed through the API (an acknowledgement): the org's live stream tells its pages. */
  alarmChanged?: (orgId: string, alarm: AlarmRow) => void;
}

/** An audit row for a control call, attributed to the API key's owner (docs/design.md invariant 4). */
export function auditOf(
  p: Principal | null,
  nowMs: number,
  action: string,
  deviceId: string | null,
  reason: string,
  data: Record<string, unknown>,
): AuditRow {
  const actor =
    p?.kind === 'key'
      ? { type: 'user' as const, id: p.owner.slice(0, 64) }
      : p?.kind === 'user'
        ? { type: 'user' as const, id: p.email.slice(0, 64) }
        : { type: 'cloud' as const };
  return {
    id: newId('aud'),
    orgId: p?.orgId ?? DEFAULT_ORG,
    gatewayId: null,
    ts: nowMs,
    actor,
    deviceId,
    action,
    reason: reason.slice(0, 256),
    data: p?.kind === 'key' ? { ...data, keyId: p.id, role: p.role } : p?.kind === 'user' ? { ...data, userId: p.id, role: p.role } : data,
  };
}

export const SECURITY = [{ bearer: [] }];

/** The scope of an org-wide resource (`what`: channels, users): a key limited to one gateway gets 403. */
export function orgWide(s: Scope, what: string): Scope {
  if (s.gatewayId)
    throw new SvError('SV_ERR_FORBIDDEN', `${what} belong to the org, not to one gateway's key`, ['key: limited to one gateway']);
  return s;
}

/** Control calls that do not name a device are audited too, attributed to the key's owner. */
export async function auditVia(deps: RouteDeps, principal: Principal | null, action: string, data: Record<string, unknown>): Promise<void> {
  await deps.stores.meta.addAudit(auditOf(principal, deps.now(), action, null, `${action} via cloud API`, data));
}
