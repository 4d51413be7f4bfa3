import t from 'tap';
import { fastTelemetry } from './fast-telemetry.js';
import { Telemetry } from './messages.js';
import { parseDeviceMessage } from './parse.js';

/** The hand-written check gives the schema's verdict on every single-field mutation, and the schema's output. */

const base = { v: 1, boot: 3, seq: 1042, ts: 1_763_798_400_123, tempC: 58.31, sensor: 'ok', heater: true, rssi: -61 };

const values: unknown[] = [
  undefined,
  null,
  0,
  -0,
  1,
  2,
  -1,
  1.5,
  -127,
  -128,
  110,
  110.0001,
  -10,
  -10.0001,
  2 ** 53,
  2 ** 53 - 1,
  8_640_000_000_000_000,
  8_640_000_000_000_001,
  '',
  '1',
  'ok',
  'range',
  'disconnected',
  'por',
  'crc',
  'OK',
  true,
  false,
  [],
  {},
];

t.test('fast check vs zod: the same verdict and the same value on every single-field mutation', async (t) => {
  let compared = 0;
  let accepted = 0;
  const keys = [...Object.keys(base), 'extra', '__proto__', 'toString'];
  for (const sensorOk of [true, false]) {
    for (const key of keys) {
      for (const v of values) {
        const rec: Record<string, unknown> = sensorOk ? { ...base } : { ...base, sensor: 'disconnected', tempC: null };
        if (v === undefined) delete rec[key];
        else Object.defineProperty(rec, key, { value: v, enumerable: true, writable: true, configurable: true });
        const zod = Telemetry.safeParse(rec);
        const fast = fastTelemetry(rec);
        compared++;
        if ((fast !== undefined) !== zod.success && key !== '__proto__') t.fail(`verdicts differ: ${key} = ${JSON.stringify(v)}`);
        if (fast && !zod.success) t.fail(`fast check accepts what zod refuses: ${key} = ${JSON.stringify(v)}`);
        if (fast && zod.success) {
          accepted++;
          if (JSON.stringify(fast) !== JSON.stringify(zod.data)) t.fail(`values differ: ${key} = ${JSON.stringify(v)}`);
        }
      }
    }
  }
  t.ok(compared > 500, `${compared} mutations compared, ${accepted} accepted by both`);
  t.ok(accepted > 20, 'valid variants take the fast path');
});

t.test('through parseDeviceMessage: valid telemetry is returned in the schema key order; refusals still name the field', async (t) => {
  const r = parseDeviceMessage(
    'telemetry',
    Buffer.from(JSON.stringify({ rssi: -50, heater: false, sensor: 'crc', tempC: null, ts: null, seq: 1, boot: 0, v: 1 })),
  );
  t.ok(r.ok);
  if (r.ok) t.same(Object.keys(r.value), ['v', 'boot', 'seq', 'ts', 'tempC', 'sensor', 'heater', 'rssi']);
  const bad = parseDeviceMessage('telemetry', Buffer.from(JSON.stringify({ ...base, tempC: 111 })));
  t.notOk(bad.ok);
  if (!bad.ok) t.match(bad.reason, /^tempC: /, `named by zod: ${bad.reason}`);
  const inconsistent = parseDeviceMessage('telemetry', Buffer.from(JSON.stringify({ ...base, sensor: 'por' })));
  t.notOk(inconsistent.ok);
  if (!inconsistent.ok) t.match(inconsistent.reason, /tempC: must be null when sensor is not "ok"/);
});
