import { DEVICE_ID_PATTERN } from '../../shared/protocol/device-id.js';
import { epoch, rssiOk, SENSORS, uint } from '../../shared/protocol/fast-checks.js';
import { TEMP_MAX_C, TEMP_MIN_C } from '../../shared/protocol/messages.js';
import type { Telemetry } from '../stores/types.js';

const KEYS = new Set(['kind', 'deviceId', 'boot', 'seq', 'ts', 'rxTs', 'tempC', 'sensor', 'heater', 'rssi']);

/**
 * The common case of a relay batch, a valid telemetry record, checked by hand: the same rules as
 * shared/relay/batch.ts `TelemetryRecord` (strict keys, ranges, enum, device id pattern), about ten
 * times cheaper than zod and without copying the object. A record it does not accept goes through
 * zod as before (which then accepts it or names what is wrong), so this can only speed up, never
 * change, what the cloud accepts; fast-telemetry.test.ts compares the two on many mutations.
 */
export function fastTelemetry(raw: unknown): Telemetry | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const r = raw as Record<string, unknown>;
  if (r.kind !== 'telemetry') return undefined;
  let n = 0;
  for (const k in r) {
    if (!Object.hasOwn(r, k)) continue;
    if (!KEYS.has(k)) return undefined;
    n++;
  }
  const rssi = r.rssi;
  if (n !== (Object.hasOwn(r, 'rssi') ? 10 : 9)) return undefined;
  if (typeof r.deviceId !== 'string' || !DEVICE_ID_PATTERN.test(r.deviceId)) return undefined;
  if (!uint(r.boot) || !uint(r.seq) || !epoch(r.rxTs)) return undefined;
  if (r.ts !== null && !epoch(r.ts)) return undefined;
  const t = r.tempC;
  if (t !== null && (typeof t !== 'number' || !Number.isFinite(t) || t < TEMP_MIN_C || t > TEMP_MAX_C)) return undefined;
  if (typeof r.sensor !== 'string' || !SENSORS.has(r.sensor)) return undefined;
  if (typeof r.heater !== 'boolean') return undefined;
  if (rssi !== undefined && !rssiOk(rssi)) return undefined;
  return r as unknown as Telemetry;
}
