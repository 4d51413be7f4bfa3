import type { Alarm } from '../../shared/alarms/lifecycle.js';
import type { RelayBatch } from '../../shared/relay/batch.js';
import {
  alarmStateOf,
  cookState,
  eventNameOf,
  type StreamAlarmState,
  type StreamEventItem,
  type StreamEventName,
  type StreamReading,
  type StreamState,
} from '../../shared/stream/message.js';

export type StreamItem = [StreamEventName, StreamReading | StreamState | StreamEventItem | StreamAlarmState];

/**
 * What a committed relay batch shows on its org's stream (ADR 034): the newest reading of each
 * kit, link changes, cook changes, events and alarms, then each alarm the batch changed, as merged
 * in the cloud (`alarmState`: an acknowledgement made on the gateway reaches the cloud's pages this
 * way; a replayed alarm record changes nothing and sends nothing). Pure.
 */
export function streamOfBatch(gatewayId: string, batch: RelayBatch, alarms: readonly Alarm[] = []): StreamItem[] {
  const out: StreamItem[] = [];
  const newest = new Map<string, Extract<RelayBatch['records'][number], { kind: 'telemetry' }>>();
  for (const r of batch.records) {
    switch (r.kind) {
      case 'telemetry': {
        const had = newest.get(r.deviceId);
        if (!had || r.rxTs >= had.rxTs) newest.set(r.deviceId, r);
        break;
      }
      case 'status':
        out.push(['state', { deviceId: r.deviceId, gatewayId, ts: r.rxTs, online: r.state === 'online' }]);
        break;
      case 'cook':
        out.push(['state', cookState(r.deviceId, gatewayId, r)]);
        break;
      case 'event':
        out.push([
          eventNameOf(r.severity),
          { id: r.id, deviceId: r.deviceId, gatewayId, ts: r.ts, type: r.type, severity: r.severity, data: r.data },
        ]);
        break;
      default:
        break;
    }
  }
  for (const r of newest.values()) {
    out.push([
      'reading',
      {
        deviceId: r.deviceId,
        gatewayId,
        boot: r.boot,
        seq: r.seq,
        ts: r.ts,
        rxTs: r.rxTs,
        tempC: r.tempC,
        sensor: r.sensor,
        heater: r.heater,
      },
    ]);
  }
  for (const a of alarms) out.push(['alarmState', alarmStateOf(a, gatewayId)]);
  return out;
}
