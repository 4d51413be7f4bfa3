import { alarmsApi } from './api-alarms.js';
import { cookRecordsApi, telemetryHistory } from './api-cooks.js';
import type { Call } from './http.js';
import {
  type Api,
  type AuditItem,
  type CookRequest,
  type CookView,
  type EventItem,
  type Kit,
  type Link,
  NO_OUTCOME,
  type NotificationDelivery,
  type NotifyChannel,
  type Outcome,
} from './model.js';

/** Shapes of cloud/routes/*.ts, as far as the dashboard reads them. */
interface CloudState {
  gatewayId: string | null;
  boot: number | null;
  seq: number | null;
  rxTs: number | null;
  tempC: number | null;
  sensor: string | null;
  heater: boolean | null;
}
interface CloudSpec {
  targetC: number;
  durationMin?: number;
  food?: string;
}
interface CloudDevice {
  id: string;
  gatewayId: string;
  lastSeenMs: number;
  state: CloudState | null;
  online: boolean;
  desiredCook?: { cookId: string; spec: CloudSpec | null; updatedTs: number } | null;
  reportedCook?: { id: string; state: CookView['state']; spec: CloudSpec; startedTs: number; updatedTs: number } | null;
  readyAt?: number | null;
  doneAt?: number | null;
  safeAt?: number | null;
  /** The gateway's latest forecast event (band while learning, the core model). */
  forecast?: { data: { readyBand?: Outcome['readyBand']; safety?: Outcome['safety'] } } | null;
}
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

function cookOf(d: CloudDevice): CookView | null {
  const r = d.reportedCook ?? null;
  const want = d.desiredCook ?? null;
  const cook: CookView | null = r
    ? {
        state: r.state,
        targetC: r.spec.targetC,
        durationMin: r.spec.durationMin ?? null,
        food: r.spec.food ?? null,
        startedTs: r.startedTs,
        pending: null,
      }
    : null;
  // The cloud holds the desired cook; the gateway reports what runs. Until the two agree, say so.
  if (want && (!r || want.updatedTs > r.updatedTs)) {
    const running = r !== null && r.state !== 'stopped';
    if (want.spec === null && running && cook) cook.pending = 'stop sent to the gateway';
    if (want.spec !== null && (!running || JSON.stringify(want.spec) !== JSON.stringify(r?.spec))) {
      const s = want.spec;
      return {
        state: 'heating',
        targetC: s.targetC,
        durationMin: s.durationMin ?? null,
        food: s.food ?? null,
        startedTs: want.updatedTs,
        pending: 'sent to the gateway, not confirmed yet',
      };
    }
  }
  return cook;
}

function kitOf(d: CloudDevice): Kit {
  const s = d.state;
  return {
    id: d.id,
    gateway: d.gatewayId,
    online: d.online,
    tempC: s?.tempC ?? null,
    sensor: s?.sensor ?? null,
    heater: s?.heater ?? null,
    lastTs: s?.rxTs ?? d.lastSeenMs ?? null,
    readingKey: s && s.boot !== null ? `${s.boot}:${s.seq}` : null,
    cook: cookOf(d),
    dangerZoneMs: null,
    actuator: null,
    outcome: {
      ...NO_OUTCOME,
      readyAt: d.readyAt ?? null,
      readyBand: d.forecast?.data.readyBand ?? null,
      doneAt: d.doneAt ?? null,
      safeAt: d.safeAt ?? null,
      safety: d.forecast?.data.safety ?? null,
    },
  };
}

export function cloudApi(call: Call, name: string): Api {
  const query = (q: Record<string, string | number | undefined>) =>
    new URLSearchParams(Object.entries(q).flatMap(([k, v]) => (v === undefined ? [] : [[k, String(v)]]))).toString();
  return {
    kind: 'cloud',
    name,
    alarms: alarmsApi(call),
    async kits() {
      const list = await call<Paged<CloudDevice>>('GET', '/v1/devices?limit=500');
      // The list has no cooks; each kit's detail has the desired and the reported one.
      const full = await Promise.all(list.items.map((d) => call<CloudDevice>('GET', `/v1/devices/${encodeURIComponent(d.id)}`)));
      return full.map(kitOf);
    },
    async kit(id) {
      return kitOf(await call<CloudDevice>('GET', `/v1/devices/${encodeURIComponent(id)}`));
    },
    async startCook(id, spec) {
      await call('PUT', `/v1/devices/${encodeURIComponent(id)}/cook`, { ...spec, reason: 'set from the dashboard' });
    },
    async stopCook(id) {
      await call('DELETE', `/v1/devices/${encodeURIComponent(id)}/cook`, { reason: 'stopped from the dashboard' });
    },
    async events(q) {
      const r = await call<Paged<EventItem>>('GET', `/v1/events?${query({ device: q.device, limit: q.limit })}`);
      return r.items;
    },
    async audit(q) {
      const r = await call<
        Paged<{ id: string; ts: number; actor: { type: string; id?: string }; deviceId: string | null; action: string; reason: string }>
      >('GET', `/v1/audit?${query({ device: q.device, limit: q.limit })}`);
      return r.items.map(
        (a): AuditItem => ({
          id: a.id,
          ts: a.ts,
          actor: a.actor.id ? `${a.actor.type} ${a.actor.id}` : a.actor.type,
          deviceId: a.deviceId,
          action: a.action,
          reason: a.reason,
        }),
      );
    },
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
  };
}
