import { type Notification, notificationText } from '../../shared/notify/message.js';
import type { SilentGateway } from '../stores/types.js';

/**
 * The "gateway offline" notification of one silence, pure. Its id names the gateway and the last
 * time it was heard: every instance that sees the same silence makes the same id, and the first
 * to insert it is the one that sends it (the notification row is the claim). The next silence,
 * after the gateway was back, has a new last-seen time and so a new id.
 */
export function gatewayOfflineNotification(gw: SilentGateway, nowMs: number): Notification {
  const silentMs = nowMs - gw.lastSeenMs;
  return {
    id: `gwoff-${gw.id}-${gw.lastSeenMs.toString(36)}`,
    type: 'gateway_offline',
    severity: 'alarm',
    deviceId: null,
    at: new Date(nowMs).toISOString(),
    text: notificationText({ type: 'gateway_offline', data: { name: gw.name, silentMs } }) as string,
  };
}

/**
 * Silences older than this are not notified (a gateway retired without being revoked, or the
 * first check after an upgrade, must not alarm about last month).
 */
export const OFFLINE_LOOKBACK_MS = 24 * 3_600_000;
