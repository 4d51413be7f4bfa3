import { alarmsApi } from './api-alarms.js';
import { commonApi, query } from './api-common.js';
import { cookRecordsApi, telemetryHistory } from './api-cooks.js';
import { usersApi } from './api-users.js';
import type { Call } from './http.js';
import type { Api, CookRequest, Link, NotificationDelivery, NotifyChannel } from './model.js';

/** cloud/routes/notifications.ts: one delivery of a notification through one channel. */
interface CloudDelivery {
  id: string;
  channelId: string;
  kind: string;
  state: NotificationDelivery['state'];
  attempts: number;
  lastAttemptMs: number | null;
  nextAttemptMs: number | null;
  lastError: string | null;
  notification: NotificationDelivery['notification'];
}
interface Paged<T> {
  items: T[];
  nextCursor: string | null;
}

/** The cloud's API: the shared routes (api-common.ts), plus gateways as links, notifications, telemetry history and the org's users. */
export function cloudApi(call: Call, name: string): Api {
  return {
    kind: 'cloud',
    name,
    alarms: alarmsApi(call),
    ...commonApi(call, name),
    rejected: null,
    ...cookRecordsApi(call),
    notifications: {
      async list(q) {
        const r = await call<Paged<CloudDelivery>>('GET', `/v1/notifications?${query({ limit: q.limit })}`);
        const items = r.items
          .filter((d) => !q.device || d.notification.deviceId === q.device)
          .map(
            (d): NotificationDelivery => ({
              id: Number(d.id),
              channel: d.kind,
              state: d.state,
              attempts: d.attempts,
              lastAttemptTs: d.lastAttemptMs,
              nextAttemptTs: d.nextAttemptMs,
              lastError: d.lastError,
              notification: d.notification,
            }),
          );
        return { channels: [], items };
      },
      channels: {
        async list() {
          return (await call<Paged<NotifyChannel>>('GET', '/v1/notifications/channels?limit=500')).items;
        },
        add: (c) => call<NotifyChannel>('POST', '/v1/notifications/channels', c),
        async remove(id) {
          await call('DELETE', `/v1/notifications/channels/${encodeURIComponent(id)}`);
        },
        async test() {
          return (await call<{ deliveries: number }>('POST', '/v1/notifications/test', {})).deliveries;
        },
      },
    },
    async links() {
      const r = await call<
        Paged<{
          id: string;
          name: string;
          revokedMs: number | null;
          lastSeenMs: number | null;
          alive: boolean;
          backlog: { records: number; bytes: number; oldestAgeMs: number | null; dropped: Record<string, number> } | null;
        }>
      >('GET', '/v1/gateways?limit=500');
      return r.items.map(
        (g): Link => ({
          name: g.name,
          state: g.revokedMs !== null ? 'revoked' : g.alive ? 'connected' : 'not heard from',
          up: g.revokedMs === null && g.alive,
          backlogRecords: g.backlog?.records ?? null,
          backlogBytes: g.backlog?.bytes ?? null,
          oldestAgeMs: g.backlog?.oldestAgeMs ?? null,
          lastSeenTs: g.lastSeenMs,
          detail: g.backlog && Object.keys(g.backlog.dropped).length > 0 ? `dropped: ${JSON.stringify(g.backlog.dropped)}` : null,
        }),
      );
    },
    async presets() {
      return (await call<Paged<{ name: string; spec: CookRequest }>>('GET', '/v1/presets?limit=500')).items;
    },
    history: telemetryHistory(call),
    users: usersApi(call),
  };
}
