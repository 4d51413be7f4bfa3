import { Point } from '@influxdata/influxdb-client';
import type { Telemetry } from '../types.js';

/**
 * The telemetry point (docs/adr/010-influx-v1-api.md). Series: measurement `telemetry`, tags
 * gateway + device. Time: device time, else gateway receive time, in ms, plus a sub-millisecond
 * offset in ns derived from (boot, seq): two records of one device in the same millisecond but
 * with different (boot, seq) land on different points instead of overwriting each other, while a
 * replay of the same record computes the same time and overwrites itself (idempotent).
 */
export function pointTimeNs(r: Pick<Telemetry, 'ts' | 'rxTs' | 'boot' | 'seq'>): bigint {
  const ms = r.ts ?? r.rxTs;
  return BigInt(ms) * 1_000_000n + BigInt(subMsOffset(r.boot, r.seq));
}

/** 0…999_999 ns: boot mod 1000 in the thousands, seq mod 1000 in the units. */
export function subMsOffset(boot: number, seq: number): number {
  return (boot % 1000) * 1000 + (seq % 1000);
}

export function toLine(gatewayId: string, r: Telemetry): string {
  const p = new Point('telemetry')
    .tag('gateway', gatewayId)
    .tag('device', r.deviceId)
    .booleanField('heater', r.heater)
    .stringField('sensor', r.sensor)
    .intField('boot', r.boot)
    .intField('seq', r.seq)
    .intField('rx_ts', r.rxTs)
    .timestamp(pointTimeNs(r).toString());
  if (r.tempC !== null) p.floatField('temperature', r.tempC);
  if (r.rssi !== undefined) p.intField('rssi', r.rssi);
  if (r.ts !== null) p.intField('device_ts', r.ts);
  return p.toLineProtocol() as string;
}

/** An InfluxQL string literal: backslash and single quote escaped (ids are validated too). */
export function influxString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
