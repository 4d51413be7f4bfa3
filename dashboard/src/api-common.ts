import type { AuditEntry, Device, DeviceDetail, Event } from '../../shared/api/resources.js';
import type { Call } from './http.js';
import type { ActuatorHealth, Api, AuditItem, CookView, EventItem, Kit, Outcome } from './model.js';

/**
 * What the cloud and the gateway answer alike (docs/api.md, shared/api/resources.ts): devices,
 * cooks, events and audit. api-cloud.ts and api-gateway.ts add only what differs.
 */
interface Paged<T> {
  items: T[];
  nextCursor: string | null;
}

export const query = (q: Record<string, string | number | undefined>) =>
  new URLSearchParams(Object.entries(q).flatMap(([k, v]) => (v === undefined ? [] : [[k, String(v)]]))).toString();

function cookOf(d: DeviceDetail): CookView | null {
  const r = d.cook;
  const want = d.desiredCook;
  const cook: CookView | null = r
    ? {
        state: r.state,
        targetC: r.spec.targetC,
        durationMin: r.spec.durationMin ?? null,
        food: r.spec.food ?? null,
        startedTs: r.startedTs,
        pending: null,
        spec: { ...r.spec },
        version: `${r.id}:${r.version}`,
      }
    : null;
  // The cloud holds the desired cook and the gateway reports what runs; until the two agree, say so
  // (on the gateway they always agree).
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
        spec: { ...s },
        version: `${want.cookId}:${want.version}:desired`,
      };
    }
  }
  return cook;
}

/** A kit as the views show it; `gateway`: the name to show when the API is the gateway's own. */
export function kitOf(d: DeviceDetail, gateway: string): Kit {
  const s = d.state;
  const control = d.control as { dangerZoneMs?: number; actuator?: ActuatorHealth; reachedTs?: number | null } | null;
  return {
    id: d.id,
    gateway: d.gatewayId ?? gateway,
    online: d.online,
    tempC: s?.tempC ?? null,
    sensor: s?.sensor ?? null,
    heater: s?.heater ?? null,
    lastTs: s?.rxTs ?? d.lastSeenMs,
    readingKey: s && s.boot !== null ? `${s.boot}:${s.seq}` : null,
    cook: cookOf(d),
    reachedTs: control?.reachedTs ?? null,
    dangerZoneMs: control?.dangerZoneMs ?? null,
    actuator: control?.actuator ?? null,
    outcome: {
      readyAt: d.readyAt,
      readyBand: d.readyBand,
      doneAt: d.doneAt,
      safeAt: d.safeAt,
      safety: d.safety as Outcome['safety'],
    },
  };
}

export function commonApi(call: Call, name: string): Pick<Api, 'kits' | 'kit' | 'startCook' | 'stopCook' | 'events' | 'audit'> {
  const detail = async (id: string) => kitOf(await call<DeviceDetail>('GET', `/v1/devices/${encodeURIComponent(id)}`), name);
  return {
    async kits() {
      const list = await call<Paged<Device>>('GET', '/v1/devices?limit=500');
      // The list has the latest readings; each kit's detail adds the cooks and the forecast.
      return Promise.all(list.items.map((d) => detail(d.id)));
    },
    kit: detail,
    async startCook(id, spec) {
      await call('PUT', `/v1/devices/${encodeURIComponent(id)}/cook`, { ...spec, reason: 'set from the dashboard' });
    },
    async stopCook(id) {
      await call('DELETE', `/v1/devices/${encodeURIComponent(id)}/cook`, { reason: 'stopped from the dashboard' });
    },
    async events(q) {
      const r = await call<Paged<Event>>('GET', `/v1/events?${query({ device: q.device, limit: q.limit })}`);
      return r.items.map(
        (e): EventItem => ({ id: e.id, ts: e.ts, deviceId: e.deviceId, type: e.type, severity: e.severity, data: e.data }),
      );
    },
    async audit(q) {
      const r = await call<Paged<AuditEntry>>('GET', `/v1/audit?${query({ device: q.device, limit: q.limit })}`);
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
  };
}
