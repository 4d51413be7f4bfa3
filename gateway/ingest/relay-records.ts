import type { Status, Telemetry } from '../../shared/protocol/messages.js';
import type { RelayRecord } from '../../shared/relay/batch.js';

/** Relay records (shared/relay/batch.ts) for what ingestion commits, queued in the outbox in the same transaction. */
export function telemetryOutboxRecord(deviceId: string, m: Telemetry, rxTs: number): string {
  const record: RelayRecord = {
    kind: 'telemetry',
    deviceId,
    boot: m.boot,
    seq: m.seq,
    ts: m.ts,
    rxTs,
    tempC: m.tempC,
    sensor: m.sensor,
    heater: m.heater,
    ...(m.rssi === undefined ? {} : { rssi: m.rssi }),
  };
  return JSON.stringify(record);
}

export function statusOutboxRecord(deviceId: string, m: Status, rxTs: number): string {
  const record: RelayRecord = {
    kind: 'status',
    id: `st-${deviceId}-${m.boot}-${rxTs}`,
    deviceId,
    state: m.state,
    boot: m.boot,
    fw: m.fw,
    rxTs,
  };
  return JSON.stringify(record);
}
