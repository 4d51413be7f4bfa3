import type { Device, DeviceDetail } from '../../shared/api/resources.js';
import type { ControlLoop } from '../control-driver/control-loop.js';

type View = NonNullable<ReturnType<ControlLoop['view']>>;

/**
 * The control loop's view of a kit in the shared resource shapes (shared/api/resources.ts,
 * docs/api.md): the same device the cloud answers with, plus the gateway's `control` details.
 * `gatewayId` is null: on its own API the gateway is the owner.
 */
export function deviceOf(id: string, v: View | null): Device {
  const last = v?.last ?? null;
  return {
    id,
    gatewayId: null,
    online: v?.online ?? false,
    lastSeenMs: last?.rxTs ?? null,
    state: last && {
      boot: last.boot,
      seq: last.seq,
      ts: last.ts,
      rxTs: last.rxTs,
      tempC: last.tempC,
      sensor: last.sensor,
      heater: last.heater,
      rssi: last.rssi,
    },
  };
}

export function detailOf(id: string, v: View | null): DeviceDetail {
  const c = v?.cook ?? null;
  const running = c !== null && (c.state === 'heating' || c.state === 'holding');
  return {
    ...deviceOf(id, v),
    cook: c && { id: c.id, deviceId: id, version: c.version, state: c.state, spec: c.spec, startedTs: c.startedTs, updatedTs: c.updatedTs },
    desiredCook: c && { cookId: c.id, version: c.version, spec: running ? c.spec : null, updatedTs: c.updatedTs },
    readyAt: v?.readyAt ?? null,
    readyBand: v?.readyBand ?? null,
    doneAt: v?.doneAt ?? null,
    safeAt: v?.safeAt ?? null,
    safety: (v?.safety ?? null) as Record<string, unknown> | null,
    control: v && {
      reachedTs: v.reachedTs,
      alarms: v.alarms,
      commandedOn: v.commandedOn,
      heaterInferredOn: v.heaterInferredOn,
      resumeHold: v.resumeHold,
      dangerZoneMs: v.dangerZoneMs,
      actuator: v.actuator,
      learned: v.learned,
      cookOrigin: c?.origin ?? null,
    },
  };
}
