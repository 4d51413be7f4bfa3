import { epoch, rssiOk, SENSORS, uint } from './fast-checks.js';
import { TEMP_MAX_C, TEMP_MIN_C, type Telemetry } from './messages.js';

const KEYS = new Set(['v', 'boot', 'seq', 'ts', 'tempC', 'sensor', 'heater', 'rssi']);

/**
 * A kit's telemetry after `JSON.parse`, checked by hand: the same rules as the `Telemetry` schema
 * in messages.ts (strict keys, ranges, enum, tempC null exactly when the sensor is not "ok"),
 * several times cheaper than zod on the broker's thread (ADR 038). What it does not accept goes
 * through zod as before, which accepts it or names the field and the reason, so it can only make
 * parsing cheaper, never change a verdict; fast-telemetry.test.ts compares the two on every
 * single-field mutation. The result has the schema's key order, like zod's output.
 */
export function fastTelemetry(raw: object): Telemetry | undefined {
  const r = raw as Record<string, unknown>;
  let n = 0;
  for (const k in r) {
    if (!Object.hasOwn(r, k) || !KEYS.has(k)) return undefined;
    n++;
  }
  const hasRssi = Object.hasOwn(r, 'rssi');
  if (n !== (hasRssi ? 8 : 7)) return undefined;
  const { v, boot, seq, ts, tempC, sensor, heater, rssi } = r;
  if (v !== 1 || !uint(boot) || !uint(seq) || (ts !== null && !epoch(ts))) return undefined;
  if (typeof sensor !== 'string' || !SENSORS.has(sensor) || typeof heater !== 'boolean') return undefined;
  if (sensor === 'ok') {
    if (typeof tempC !== 'number' || !(tempC >= TEMP_MIN_C && tempC <= TEMP_MAX_C)) return undefined;
  } else if (tempC !== null) return undefined;
  if (hasRssi && !rssiOk(rssi)) return undefined;
  const out = { v, boot, seq, ts, tempC, sensor, heater } as Telemetry;
  if (hasRssi) out.rssi = rssi as number;
  return out;
}
