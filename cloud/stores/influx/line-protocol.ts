import { escape as lp } from '@influxdata/influxdb-client';
import { readingTimeMs } from '../reading-time.js';
import type { Telemetry } from '../types.js';

/**
 * The telemetry point (docs/adr/010-influx-v1-api.md). Series: measurement `telemetry`, tags
 * gateway + device. Time: device time when plausible, else gateway receive time (reading-time.ts), in ms, plus a sub-millisecond
 * offset in ns derived from (boot, seq): two records of one device in the same millisecond but
 * with different (boot, seq) land on different points instead of overwriting each other, while a
 * replay of the same record computes the same time and overwrites itself (idempotent).
 */
export function pointTimeNs(r: Pick<Telemetry, 'ts' | 'rxTs' | 'boot' | 'seq'>): bigint {
  const ms = readingTimeMs(r);
  return BigInt(ms) * 1_000_000n + BigInt(subMsOffset(r.boot, r.seq));
}

/** The same time as a decimal string, without BigInt (hot path). */
export function pointTimeNsString(r: Pick<Telemetry, 'ts' | 'rxTs' | 'boot' | 'seq'>): string {
  const ms = readingTimeMs(r);
  const offset = subMsOffset(r.boot, r.seq);
  return ms === 0 ? String(offset) : `${ms}${String(offset).padStart(6, '0')}`;
}

/** 0…999_999 ns: boot mod 1000 in the thousands, seq mod 1000 in the units. */
export function subMsOffset(boot: number, seq: number): number {
  return (boot % 1000) * 1000 + (seq % 1000);
}

/**
 * One line of line protocol. Escaping comes from the client library's `escape` (the same rules its
 * `Point` applies); the line is assembled here because `Point` costs ~50 µs per record, which
 * dominated the ingest profile. Tags sorted by key, as InfluxDB prefers.
 */
export function toLine(gatewayId: string, r: Telemetry): string {
  let fields = `boot=${r.boot}i,heater=${r.heater ? 'T' : 'F'},rx_ts=${r.rxTs}i,sensor=${lp.quoted(r.sensor)},seq=${r.seq}i`;
  if (r.ts !== null) fields += `,device_ts=${r.ts}i`;
  if (r.rssi !== undefined) fields += `,rssi=${r.rssi}i`;
  if (r.tempC !== null) fields += `,temperature=${r.tempC}`;
  return `telemetry,device=${lp.tag(r.deviceId)},gateway=${lp.tag(gatewayId)} ${fields} ${pointTimeNsString(r)}`;
}

/** An InfluxQL string literal: backslash and single quote escaped (ids are validated too). */
export function influxString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
