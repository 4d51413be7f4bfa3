import type { Cook, DesiredCook, Device, Reading } from '../../shared/api/resources.js';
import { cookIdOf } from '../../shared/relay/cook-id.js';
import type { AuditRow, CookRow, DesiredCook as DesiredRow, DeviceRow, DeviceState, EventRow } from '../stores/types.js';

/**
 * The cloud's rows in the shared resource shapes (shared/api/resources.ts, docs/api.md): what the
 * gateway's local API answers for the same things.
 */
export function readingOf(s: DeviceState): Reading {
  return { boot: s.boot, seq: s.seq, ts: s.ts, rxTs: s.rxTs, tempC: s.tempC, sensor: s.sensor, heater: s.heater, rssi: s.rssi };
}

/** `lastSeenMs`: the later of the meta store's (written at most every `ingest.lastSeenEveryS`) and the latest state's. */
export function deviceOf(d: DeviceRow, s: DeviceState | null): Device {
  const lastSeenMs = s?.lastSeenMs != null && (d.lastSeenMs === null || s.lastSeenMs > d.lastSeenMs) ? s.lastSeenMs : d.lastSeenMs;
  return { id: d.id, gatewayId: d.gatewayId, online: s?.online ?? false, lastSeenMs, state: s ? readingOf(s) : null };
}

export function cookOf(r: CookRow | null): Cook | null {
  if (r === null) return null;
  return {
    id: cookIdOf(r),
    deviceId: r.deviceId,
    version: r.version,
    state: r.state,
    spec: r.spec,
    startedTs: r.startedTs,
    updatedTs: r.updatedTs,
  };
}

export function desiredOf(d: DesiredRow | null): DesiredCook | null {
  return d === null ? null : { cookId: d.cookId, version: d.version, spec: d.spec, updatedTs: d.updatedTs };
}

export function eventOf(e: EventRow) {
  return {
    id: e.id,
    ts: e.ts,
    deviceId: e.deviceId,
    gatewayId: e.gatewayId,
    type: e.type,
    severity: e.severity,
    safety: e.safety,
    data: e.data,
  };
}

export function auditEntryOf(a: AuditRow) {
  return {
    id: a.id,
    ts: a.ts,
    actor: a.actor,
    deviceId: a.deviceId,
    gatewayId: a.gatewayId,
    action: a.action,
    reason: a.reason,
    data: a.data,
  };
}
