import { alarmsApi } from './api-alarms.js';
import { commonApi } from './api-common.js';
import { cookRecordsApi, telemetryHistory } from './api-cooks.js';
import type { Call } from './http.js';
import type { Api, CookRequest, Link } from './model.js';

interface Paged<T> {
  items: T[];
  nextCursor: string | null;
}

/** The cloud's API: the shared routes (api-common.ts), plus gateways as links and telemetry history. */
export function cloudApi(call: Call, name: string): Api {
  return {
    kind: 'cloud',
    name,
    alarms: alarmsApi(call),
    ...commonApi(call, name),
    rejected: null,
    ...cookRecordsApi(call),
    notifications: null,
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
  };
}
