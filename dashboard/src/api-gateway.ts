import { alarmsApi } from './api-alarms.js';
import { commonApi, query } from './api-common.js';
import { cookRecordsApi, telemetryHistory } from './api-cooks.js';
import { ApiError, type Call } from './http.js';
import type { Api, CookRequest, DeadLetter, NotificationDelivery, SecurityEvent } from './model.js';

/** The gateway's local API: the shared routes (api-common.ts), plus refusals, notifications, presets and the relay link. */
export function gatewayApi(call: Call, name: string): Api {
  const page = (q: { device?: string; limit: number }) => query({ device: q.device, limit: q.limit });
  return {
    kind: 'gateway',
    name,
    alarms: alarmsApi(call),
    ...commonApi(call, name),
    notifications: {
      async list(q) {
        return call<{ channels: string[]; items: NotificationDelivery[] }>('GET', `/v1/notifications?${page(q)}`);
      },
    },
    rejected: {
      async deadLetters(q) {
        return (await call<{ items: DeadLetter[] }>('GET', `/v1/dead-letters?${page(q)}`)).items;
      },
      async securityEvents(q) {
        return (await call<{ items: SecurityEvent[] }>('GET', `/v1/security-events?${page(q)}`)).items;
      },
      async replay(id) {
        await call('POST', `/v1/dead-letters/${id}/replay`);
      },
      async purge(id) {
        await call('DELETE', `/v1/dead-letters/${id}`);
      },
    },
    ...cookRecordsApi(call),
    async links() {
      try {
        const r = await call<{
          link: string;
          lastError: string | null;
          lastSuccessTs: number | null;
          backlog: { records: number; bytes: number; oldestAgeMs: number | null };
        }>('GET', '/v1/relay');
        return [
          {
            name: 'cloud relay',
            state: r.link,
            up: r.link === 'up',
            backlogRecords: r.backlog.records,
            backlogBytes: r.backlog.bytes,
            oldestAgeMs: r.backlog.oldestAgeMs,
            lastSeenTs: r.lastSuccessTs,
            detail: r.link === 'up' ? null : r.lastError,
          },
        ];
      } catch (err) {
        // 404: this gateway runs offline (no cloud.url), so there is no relay to show.
        if (err instanceof ApiError && err.status === 404) return [];
        throw err;
      }
    },
    async presets() {
      return (await call<{ items: { name: string; spec: CookRequest }[] }>('GET', '/v1/presets')).items;
    },
    history: telemetryHistory(call),
    users: null,
  };
}
