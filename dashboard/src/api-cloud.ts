import { commonApi, query } from './api-common.js';
import { cookRecordsApi } from './api-cooks.js';
import type { Call } from './http.js';
import type { Api, Link } from './model.js';

interface Paged<T> {
  items: T[];
  nextCursor: string | null;
}

/** The cloud's API: the shared routes (api-common.ts), plus gateways as links and telemetry history. */
export function cloudApi(call: Call, name: string): Api {
  return {
    kind: 'cloud',
    name,
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
    presets: null,
    async history(id, fromMs, toMs, everyMs) {
      const r = await call<{ buckets: { ts: number; mean: number | null; min: number | null; max: number | null }[] }>(
        'GET',
        `/v1/devices/${encodeURIComponent(id)}/telemetry?${query({ from: Math.floor(fromMs), to: Math.ceil(toMs), every: `${Math.max(1000, Math.round(everyMs))}ms` })}`,
      );
      return r.buckets;
    },
  };
}
