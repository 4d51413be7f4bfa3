import t from 'tap';
import { RelayRecord } from '../../shared/relay/batch.js';
import { fastTelemetry } from './fast-telemetry.js';

/** The hand-written telemetry check never accepts what zod (the contract) refuses, and accepts the common valid records. */

const base = {
  kind: 'telemetry',
  deviceId: 'kit-fast1',
  boot: 3,
  seq: 1042,
  ts: 1_763_798_400_123,
  rxTs: 1_763_798_400_130,
  tempC: 58.31,
  sensor: 'ok',
  heater: true,
  rssi: -61,
};

const values: unknown[] = [
  undefined,
  null,
  0,
  -0,
  1,
  -1,
  1.5,
  -127,
  -128,
  110,
  110.0001,
  -10,
  -10.5,
  2 ** 53,
  2 ** 53 - 1,
  8_640_000_000_000_000,
  8_640_000_000_000_001,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  '',
  'ok',
  'range',
  'OK',
  'kit-a',
  'Kit-abc',
  'ab',
  'a'.repeat(32),
  'a'.repeat(33),
  '-abc',
  true,
  false,
  [],
  {},
  'telemetry',
  'event',
];

t.test('fast path vs zod: same verdict on every single-field mutation, never accepts what zod refuses', async (t) => {
  let compared = 0;
  let fastAccepted = 0;
  const keys = [...Object.keys(base), 'extra', '__proto__'];
  for (const key of keys) {
    for (const v of values) {
      const rec: Record<string, unknown> = { ...base };
      if (v === undefined) delete rec[key];
      else Object.defineProperty(rec, key, { value: v, enumerable: true, writable: true, configurable: true });
      const zod = RelayRecord.safeParse(rec).success;
      const fast = fastTelemetry(rec) !== undefined;
      compared++;
      if (fast) fastAccepted++;
      if (fast && !zod) t.fail(`fast path accepts what zod refuses: ${key} = ${String(v)}`);
      // Records zod accepts with a plain JSON shape should take the fast path.
      if (zod && !fast && key !== '__proto__') t.fail(`valid record missed by the fast path: ${key} = ${String(v)}`);
    }
  }
  t.ok(compared > 400, `${compared} mutations compared, ${fastAccepted} accepted by both`);
  t.ok(fastTelemetry(base), 'a valid record passes');
  t.equal(fastTelemetry({ ...base, rssi: undefined }) !== undefined, RelayRecord.safeParse({ ...base, rssi: undefined }).success);
  const { rssi: _r, ...noRssi } = base;
  t.ok(fastTelemetry(noRssi), 'rssi is optional');
  t.ok(fastTelemetry({ ...base, ts: null, tempC: null, sensor: 'disconnected' }), 'null device time and temperature');
  t.equal(fastTelemetry({ ...base, kind: 'status' }), undefined, 'other kinds go through zod');
});

t.test('random records: the fast path agrees with zod whenever it accepts', async (t) => {
  let seed = 42;
  const rnd = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  let accepted = 0;
  for (let i = 0; i < 20_000; i++) {
    const rec: Record<string, unknown> = { ...base };
    for (let m = 0; m < 1 + Math.floor(rnd() * 3); m++) {
      const key = pick([...Object.keys(base), 'extra']);
      const v = pick(values);
      if (v === undefined) delete rec[key];
      else rec[key] = v;
    }
    const zod = RelayRecord.safeParse(rec).success;
    const fast = fastTelemetry(rec) !== undefined;
    if (fast !== zod) {
      t.fail(`disagree on ${JSON.stringify(rec)}: fast ${fast}, zod ${zod}`);
      return;
    }
    if (fast) accepted++;
  }
  t.ok(accepted > 100, `20,000 random records, ${accepted} valid, same verdict on each`);
});
