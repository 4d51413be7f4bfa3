import type { Logger } from '../../shared/log.js';
import { type Notification, notificationText } from '../../shared/notify/message.js';
import type { MetaStore } from '../stores/types.js';

/** How long an instance of a gateway is remembered after its last batch. */
export const SHARED_TOKEN_WINDOW_MS = 10 * 60_000;
/** At most one notification a day per gateway (the id names the day). */
const DAY_MS = 86_400_000;

/**
 * Two running gateways that send with one gateway token: a copied data dir, most often a cloned
 * SD card for a second kitchen. Each gateway process names itself with a random instance id in
 * every batch (`X-Sousvide-Instance`). A restart replaces the instance for good; two processes
 * alternate: an instance that was followed by another and then sends again is the sign.
 * Pure: time is passed in. Per cloud instance (each sees the alternation among the batches it
 * receives).
 */
export class SharedTokenWatch {
  private readonly byGateway = new Map<string, { current: string; seen: Map<string, number>; reportedDay: number }>();

  /**
   * A batch of `gatewayId` from `instance` at `nowMs`; true when it shows two processes sharing
   * the token, at most once a day per gateway.
   */
  seen(gatewayId: string, instance: string, nowMs: number): boolean {
    let g = this.byGateway.get(gatewayId);
    if (!g) {
      if (this.byGateway.size >= 100_000) this.byGateway.clear();
      g = { current: instance, seen: new Map(), reportedDay: -1 };
      this.byGateway.set(gatewayId, g);
    }
    for (const [id, at] of g.seen) if (nowMs - at > SHARED_TOKEN_WINDOW_MS) g.seen.delete(id);
    const back = instance !== g.current && g.seen.has(instance);
    g.seen.set(instance, nowMs);
    if (g.seen.size > 8) g.seen.delete(g.seen.keys().next().value as string);
    g.current = instance;
    const day = Math.floor(nowMs / DAY_MS);
    if (!back || g.reportedDay === day) return false;
    g.reportedDay = day;
    return true;
  }
}

/** The org's notification about it: one a day per gateway. */
export function sharedTokenNotification(gateway: { id: string; name: string }, nowMs: number): Notification {
  return {
    id: `gwshared-${gateway.id}-${Math.floor(nowMs / DAY_MS).toString(36)}`,
    type: 'gateway_token_shared',
    severity: 'alarm',
    deviceId: null,
    at: new Date(nowMs).toISOString(),
    text: notificationText({ type: 'gateway_token_shared', data: { name: gateway.name } }) as string,
  };
}

/**
 * Logs it, writes the org's audit row (visible without any notification channel) and queues its
 * notification. Both carry the notification's id (gateway and day), so that several cloud
 * instances write each once. Never throws.
 */
export async function reportSharedToken(meta: MetaStore, log: Logger, orgId: string, gatewayId: string, nowMs: number): Promise<void> {
  try {
    const gw = await meta.getGateway({ orgId }, gatewayId);
    if (!gw) return;
    log.error(
      { gatewayId, orgId },
      'two running gateways send with this gateway token (a copied data dir or SD card?): give the copy its own token and data dir',
    );
    const n = sharedTokenNotification(gw, nowMs);
    await meta.addAudit({
      id: n.id,
      orgId,
      gatewayId,
      ts: nowMs,
      actor: { type: 'cloud' },
      deviceId: null,
      action: 'gateway.token_shared',
      reason: n.text,
      data: { gatewayId },
    });
    await meta.notify.enqueueOnce(orgId, gatewayId, n, nowMs);
  } catch (err) {
    log.warn({ err, gatewayId }, 'could not record a shared gateway token');
  }
}
