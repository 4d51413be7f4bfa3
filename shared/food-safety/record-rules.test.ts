import t from 'tap';
import type { CookSpec } from '../cook.js';
import { buildCookRecord, type RecordEvent, type RecordReading, type RecordSpecVersion } from './cook-record.js';
import { CoreTrack } from './core-track.js';
import { FOODS } from './foods.js';
import { LETHAL_FLOOR_C, logsPerSecond, MIN_PASTEURIZING_BATH_C } from './lethality.js';
import { CoreModel, pasteurizationMinutes } from './pasteurize.js';

/**
 * The audit's cases (docs/adr/087-observed-time-only.md) on the shared core: each failed on the code
 * before (a gap credited as hot, gaps left out of the danger time, credit below 54.4 °C, a record fed
 * from the cook's start, the last spec applied to the whole cook, a lone glitch credited).
 */
const T0 = Date.UTC(2026, 11, 7, 10, 0, 0);
const MIN = 60_000;
const reached = (ts: number): RecordEvent => ({ ts, type: 'reached', severity: 'info', data: {} });

function record(spec: CookSpec, readings: RecordReading[], extra: { events?: RecordEvent[]; specs?: RecordSpecVersion[] } = {}) {
  return buildCookRecord({
    cookId: 'c',
    deviceId: 'k',
    gatewayId: null,
    spec,
    specs: extra.specs,
    state: 'stopped',
    startedTs: T0,
    endedTs: readings[readings.length - 1]!.ts,
    readings,
    events: extra.events ?? [reached(T0)],
    actions: [],
  });
}
function hold(fromMs: number, toMs: number, c: number | ((ms: number) => number), stepMs = 5000): RecordReading[] {
  const out: RecordReading[] = [];
  for (let ms = fromMs; ms <= toMs; ms += stepMs) out.push({ ts: T0 + ms, tempC: typeof c === 'number' ? c : c(ms) });
  return out;
}

t.test('1. no lethality across a gap: 85 % poultry, a 3 h power cut, back at 30 °C, is not pasteurized', async (t) => {
  const spec: CookSpec = { targetC: 62, foodKind: 'poultry', foodShape: 'slab', thicknessMm: 25 };
  const m = new CoreModel({ kind: 'poultry', shape: 'slab', thicknessMm: 25 });
  let ms = 0;
  while (m.progress < 0.85) {
    m.advance(5, 62);
    ms += 5000;
  }
  const before = hold(0, ms, 62);
  const back = ms + 180 * MIN;
  const r = record(spec, [...before, ...hold(back, back + 10 * MIN, 30)]);
  const b = record(spec, before);
  t.equal(r.lethality!.pasteurized, false, 'not pasteurized (was: pasteurized 95 s after the kit came back)');
  t.equal(r.lethality!.fraction, b.lethality!.fraction, 'no credit for the gap nor for the cooled core after it');
  t.equal(r.lethality!.unobservedMs, 180 * MIN);
  t.ok(r.lethality!.coreMaxC < 62.01);
  t.equal(r.gapMs, 180 * MIN, 'the gap is recorded');
  t.same(r.gaps, [{ fromTs: T0 + ms, toTs: T0 + back, fromC: 62, toC: 30 }]);
  t.ok(r.dangerZoneMs >= 190 * MIN, `the gap counts as danger time (${(r.dangerZoneMs / MIN).toFixed(1)} min)`);

  // The live model's rule (CoreTrack) is the same: the core cools toward the lower end, nothing credited.
  const live = new CoreTrack({ kind: 'poultry', shape: 'slab', thicknessMm: 25 });
  for (const x of [...before, ...hold(back, back + 10 * MIN, 30)]) live.onBath(x.ts, x.tempC!);
  t.equal(live.model.pasteurized, false);
  t.ok(live.model.coreC < 35, `the core cooled toward 30 °C over the gap (${live.model.coreC.toFixed(1)} °C)`);
});

t.test('2. danger time counts every gap (either end in the zone), 4.4 °C inclusive', async (t) => {
  // 3 h at 60 °C, a 4 h power cut, back at 25 °C and reheated over 30 min.
  const a = [...hold(0, 180 * MIN, 60), ...hold(420 * MIN, 450 * MIN, (ms) => 25 + ((ms - 420 * MIN) / (30 * MIN)) * 35)];
  const ra = record({ targetC: 60 }, a);
  t.ok(ra.dangerZoneMs >= 240 * MIN + 25 * MIN, `4 h cut + the reheat: ${(ra.dangerZoneMs / MIN).toFixed(1)} min (was 25 min)`);
  t.equal(ra.gapMs, 240 * MIN);
  // 4 h at 40 °C, read every 3 min: every interval is a gap, all of it danger time.
  const rb = record({ targetC: 60 }, hold(0, 240 * MIN, 40, 3 * MIN));
  t.equal(rb.dangerZoneMs, 240 * MIN, '4 h (was 0)');
  t.equal(rb.gapMs, 240 * MIN);
  t.equal(rb.gaps.length, 80);
  // The boundary is the watchdog's: 4.4 °C is in the zone, 54.4 °C is not.
  t.equal(record({ targetC: 60 }, hold(0, 10 * MIN, 4.4)).dangerZoneMs, 10 * MIN, '4.4 °C counts');
  t.equal(record({ targetC: 60 }, hold(0, 10 * MIN, 54.4)).dangerZoneMs, 0, '54.4 °C does not');
});

t.test('3. nothing is credited in a bath below 54.4 °C: the record agrees with the forecast\'s "never"', async (t) => {
  t.equal(MIN_PASTEURIZING_BATH_C, 54.4);
  for (const [kind, bath] of [
    ['fish', 53.5],
    ['beef-pork', 53.5],
    ['poultry', 54],
  ] as const) {
    const spec: CookSpec = { targetC: bath, foodKind: kind, foodShape: 'slab', thicknessMm: 20 };
    t.equal(pasteurizationMinutes({ kind, shape: 'slab', thicknessMm: 20 }, bath), null, `${kind} at ${bath} °C: forecast never`);
    const r = record(spec, hold(0, 14 * 60 * MIN, bath, 10_000));
    t.match(r.lethality, { pasteurized: false, fraction: 0 }, `${kind} at ${bath} °C for 14 h: nothing credited (was pasteurized)`);
  }
});

t.test('4. the record starts the core at the first reached, like the live model', async (t) => {
  const spec: CookSpec = { targetC: 60, foodKind: 'poultry', foodShape: 'slab', thicknessMm: 15 };
  const readings = hold(0, 180 * MIN, (ms) => (ms < 20 * MIN ? 20 + (40 * ms) / (20 * MIN) : 60));
  const reachedTs = readings.find((r) => r.tempC! >= 59.5)!.ts;
  const live = new CoreTrack({ kind: 'poultry', shape: 'slab', thicknessMm: 15 });
  for (const r of readings) if (r.ts >= reachedTs) live.onBath(r.ts, r.tempC!);
  const r = record(spec, readings, { events: [reached(reachedTs)] });
  t.equal(r.foodInTs, reachedTs);
  t.equal(r.lethality!.fromTs, reachedTs);
  t.equal(r.lethality!.pasteurizedTs, live.pasteurizedTs, 'the same minute as the live model (was 9.2 min earlier)');
  // Stopped a minute after the old record's time: not pasteurized in either.
  const early = live.pasteurizedTs! - 8 * MIN;
  const stopped = record(
    spec,
    readings.filter((x) => x.ts <= early),
    { events: [reached(reachedTs)] },
  );
  t.equal(stopped.lethality!.pasteurized, false);
  // A cook that never reached its target: the food never went in, nothing is credited.
  t.match(record(spec, readings, { events: [] }).lethality, { fromTs: null, fraction: 0, pasteurized: false });
});

t.test('5. a spec changed mid-cook: per-version segments, a new core when the food changes', async (t) => {
  const thick: CookSpec = { targetC: 60, foodKind: 'poultry', foodShape: 'slab', thicknessMm: 60 };
  const thin: CookSpec = { ...thick, thicknessMm: 20 };
  const specs = [
    { ts: T0, spec: thick },
    { ts: T0 + 90 * MIN, spec: thin },
  ];
  const r = record(thin, hold(0, 100 * MIN, 60), { specs });
  t.equal(r.lethality!.pasteurized, false, 'the 20 mm piece had 10 min (was: pasteurized over the whole curve)');
  t.equal(r.lethality!.fromTs, T0 + 90 * MIN);
  t.equal(r.cores.length, 2);
  t.match(r.cores[0], { fromTs: T0, toTs: T0 + 90 * MIN, food: { thicknessMm: 60 }, lethality: { pasteurized: false } });
  t.match(r.segments, [
    { fromTs: T0, newCore: true },
    { fromTs: T0 + 90 * MIN, newCore: true },
  ]);
  // The live model's rule: a new cold core from the change.
  const live = new CoreTrack({ kind: 'poultry', shape: 'slab', thicknessMm: 20 });
  for (const x of hold(90 * MIN, 100 * MIN, 60)) live.onBath(x.ts, x.tempC!);
  t.equal(r.lethality!.fraction, Math.round(Math.min(1, live.model.progress) * 100) / 100);

  // A changed target keeps the core; time at target is against the target in force.
  const low: CookSpec = { targetC: 56 };
  const r2 = record({ targetC: 65 }, hold(0, 180 * MIN, 56), {
    specs: [
      { ts: T0, spec: low },
      { ts: T0 + 179 * MIN, spec: { targetC: 65 } },
    ],
  });
  t.equal(r2.atOrAboveTargetMs, 179 * MIN, '179 min at 56 °C (was 0: the last target for the whole cook)');
  t.match(r2.segments, [
    { targetC: 56, atOrAboveTargetMs: 179 * MIN },
    { targetC: 65, atOrAboveTargetMs: 0 },
  ]);
  const sameFood = record(thick, hold(0, 100 * MIN, 60), {
    specs: [
      { ts: T0, spec: thick },
      { ts: T0 + 50 * MIN, spec: { ...thick, targetC: 61 } },
    ],
  });
  t.equal(sameFood.cores.length, 1, 'a target change keeps the food in');
  t.match(sameFood.segments, [{ newCore: true }, { newCore: false }]);
});

t.test('6. a lone glitch credits nothing; a core above the fit is credited at its top', async (t) => {
  const readings = [...hold(0, 10 * MIN, 20, 1000), { ts: T0 + 10 * MIN + 1000, tempC: 110 }, ...hold(12 * MIN + 1000, 20 * MIN, 20, 1000)];
  for (const [kind, mm] of [
    ['fish', 6],
    ['poultry', 6],
    ['eggs', 10],
  ] as const) {
    const r = record({ targetC: 20, foodKind: kind, foodShape: 'slab', thicknessMm: mm }, readings);
    t.ok(
      r.lethality!.pathogens.every((p) => p.logs === 0),
      `${kind}: no log credited for one 110 °C reading (was up to 1.8)`,
    );
    t.ok(r.lethality!.coreMaxC < 21, `${kind}: the core never saw the glitch`);
  }
  // Held at 80 °C for 10 min: credited no faster than at the fit's top (65 °C for poultry).
  const m = new CoreModel({ kind: 'poultry', shape: 'slab', thicknessMm: 6 });
  m.advance(600, 80);
  const p = FOODS.poultry.targets[0]!;
  const atTop = 600 * logsPerSecond(p, 65, LETHAL_FLOOR_C);
  t.ok(m.logs[0]! <= atTop + 1e-9, `${m.logs[0]!.toFixed(1)} logs ≤ ${atTop.toFixed(1)} at 65 °C`);
  t.equal(logsPerSecond(p, 110, LETHAL_FLOOR_C, FOODS.poultry.creditCeilingC), logsPerSecond(p, 65, LETHAL_FLOOR_C));
});
