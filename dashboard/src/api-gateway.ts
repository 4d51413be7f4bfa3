import { alarmsApi } from './api-alarms.js';
import { cookRecordsApi, telemetryHistory } from './api-cooks.js';
import { ApiError, type Call } from './http.js';
import {
  type Api,
  type CookRequest,
  type CookView,
  type DeadLetter,
  type Kit,
  NO_OUTCOME,
  type NotificationDelivery,
  type Outcome,
  type SecurityEvent,
} from './model.js';

/** Shapes of gateway/http/api.ts (ControlLoop.view and the SQLite rows), as far as the dashboard reads them. */
interface GatewayView {
  deviceId: string;
  online: boolean;
  last: { boot: number; seq: number; tempC: number | null; heater: boolean; sensor: string; rxTs: number } | null;
  cook: { state: CookView['state']; spec: { targetC: number; durationMin?: number; food?: string }; startedTs: number } | null;
  dangerZoneMs?: number;
  actuator?: { presses: number; confirmed: number; judged: number; successRate: number | null };
  readyAt?: number | null;
  readyBand?: { earliest: number; latest: number } | null;
  doneAt?: number | null;
  safeAt?: number | null;
  safety?: Outcome['safety'];
}
interface Row {
  id: string;
  ts: number;
  device_id: string | null;
  data: Record<string, unknown>;
}
type EventRow = Row & { type: string; severity: 'info' | 'warning' | 'alarm' | 'critical' };
type AuditRow = Row & { actor: string; actor_id: string | null; action: string; reason: string };

function kitOf(v: GatewayView, gateway: string): Kit {
  return {
    id: v.deviceId,
    gateway,
    online: v.online,
    tempC: v.last?.tempC ?? null,
    sensor: v.last?.sensor ?? null,
    heater: v.last?.heater ?? null,
    lastTs: v.last?.rxTs ?? null,
    readingKey: v.last ? `${v.last.boot}:${v.last.seq}` : null,
    cook: v.cook
      ? {
          state: v.cook.state,
          targetC: v.cook.spec.targetC,
          durationMin: v.cook.spec.durationMin ?? null,
          food: v.cook.spec.food ?? null,
          startedTs: v.cook.startedTs,
          pending: null,
        }
      : null,
    dangerZoneMs: v.dangerZoneMs ?? null,
    actuator: v.actuator ?? null,
    outcome: {
      ...NO_OUTCOME,
      readyAt: v.readyAt ?? null,
      readyBand: v.readyBand ?? null,
      doneAt: v.doneAt ?? null,
      safeAt: v.safeAt ?? null,
      safety: v.safety ?? null,
    },
  };
}

export function gatewayApi(call: Call, name: string): Api {
  const page = (q: { device?: string; limit: number }) => `limit=${q.limit}${q.device ? `&device=${encodeURIComponent(q.device)}` : ''}`;
  return {
    kind: 'gateway',
    name,
    alarms: alarmsApi(call),
    async kits() {
      const r = await call<{ items: GatewayView[] }>('GET', '/v1/devices');
      return r.items.map((v) => kitOf(v, name));
    },
    async kit(id) {
      return kitOf(await call<GatewayView>('GET', `/v1/devices/${encodeURIComponent(id)}`), name);
    },
    async startCook(id, spec) {
      await call('PUT', `/v1/devices/${encodeURIComponent(id)}/cook`, spec);
    },
    async stopCook(id) {
      await call('DELETE', `/v1/devices/${encodeURIComponent(id)}/cook`);
    },
    async events(q) {
      const r = await call<{ items: EventRow[] }>('GET', `/v1/events?${page(q)}`);
      return r.items.map((e) => ({ id: e.id, ts: e.ts, deviceId: e.device_id, type: e.type, severity: e.severity, data: e.data }));
    },
    async audit(q) {
      const r = await call<{ items: AuditRow[] }>('GET', `/v1/audit?${page(q)}`);
      return r.items.map((a) => ({
        id: a.id,
        ts: a.ts,
        actor: a.actor_id ? `${a.actor} ${a.actor_id}` : a.actor,
        deviceId: a.device_id,
        action: a.action,
        reason: a.reason,
      }));
    },
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
  };
}
