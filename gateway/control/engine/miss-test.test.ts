import t from 'tap';
import { type KitParams, ThermalSim } from '../../../shared/thermal/index.js';
import { DEFAULT_ENGINE } from '../config.js';
import { pushSample, windowOf } from '../slope.js';
import type { ControlEvent, Decision } from '../types.js';
import { type EngineState, initialEngineState, startCook, step } from './index.js';
import { MISS_EVIDENCE, missEvidence, type PressTest, plantShape, pressEvidence, switchRise, updatePressTest } from './miss-test.js';
import type { PendingPress } from './state.js';

/**
 * The fast press test (miss-test.ts), pure: the engine against the thermal simulator in simulated
 * time (1 Hz, DS18B20 quantisation and noise). A miss is made by not delivering a press to the
 * kit: the heater stays as it was while the engine expects the switch.
 */
interface Loop {
  sim: ThermalSim;
  state: EngineState;
  events: { s: number; e: ControlEvent }[];
  presses: { s: number; expect: 'on' | 'off'; delivered: boolean }[];
}

function start(params: Partial<KitParams>): Loop {
  const sim = new ThermalSim({ volumeL: 5, heaterW: 1200, uaWPerK: 2, servoLatencyMs: 1500, seed: 7, ...params });
  return { sim, state: startCook(initialEngineState(), { targetC: 60 }, sim.nowMs).state, events: [], presses: [] };
}

/** Runs `seconds`; `deliver` decides whether a press reaches the kit. */
function run(l: Loop, seconds: number, deliver: (expect: 'on' | 'off') => boolean = () => true): void {
  for (let i = 0; i < seconds; i++) {
    l.sim.step(1000);
    const tel = l.sim.telemetry();
    const r = step(l.state, { tempC: tel.tempC, sensor: tel.sensor, heater: tel.heater, boot: tel.boot }, l.sim.nowMs);
    l.state = r.state;
    const s = l.sim.tMs / 1000;
    for (const e of r.events) l.events.push({ s, e });
    const d: Decision = r.decision;
    if (d.kind === 'press') {
      const delivered = deliver(d.expect);
      l.presses.push({ s, expect: d.expect, delivered });
      if (delivered) l.sim.command({ op: 'press', expect: d.expect });
      // Not delivered: the kit's belief follows the command as if it pressed, the heater does not.
      else l.sim.belief = d.expect === 'on';
    }
  }
}

/** 5 L · 1200 W · UA 2 W/K with a 0.5 s servo: a bath fast enough to show a switch within 20 s (docs/control.md). */
/** A press of ours awaiting its verdict, sent at `atMs` from a reading of `fromC`. */
const pendingPress = (expect: boolean, atMs: number, fromC: number): PendingPress => ({
  expect,
  atMs,
  fromC,
  fromSlope: 0,
  peakSlope: 0,
  deadlineMs: atMs + 58_000,
  byDevice: false,
  pulled: false,
  toggled: true,
});

const LATENCY_MS = 500;
const missedAfter = (l: Loop, fromS: number) => l.events.filter((x) => x.s > fromS && x.e.type === 'press_missed');

t.test('G: the probe follows a switch slowly at first, then at the full rate', async (t) => {
  const shape = { deadS: 3, tauHeaterS: 20, tauProbeS: 8, rateCPerS: 0.05 };
  t.equal(switchRise(0, shape), 0);
  t.ok(switchRise(5, shape) < 0.2, 'a few seconds after the switch almost nothing shows');
  t.ok(Math.abs(switchRise(300, shape) - (300 - 28)) < 0.5, 'long after, a ramp late by τh + τp');
  t.equal(plantShape(initialEngineState().learn), null, 'no test before the bath taught its lag and rate');
});

// An off-press miss shows as the absence of a fade the element's stored heat blurs: a few seconds later.
for (const [expect, withinS] of [
  ['on', 20],
  ['off', 25],
] as const) {
  t.test(`a missed ${expect}-press is detected within ${withinS} s of the press, from readings ≥ 8 s after it`, async (t) => {
    const l = start({ servoLatencyMs: LATENCY_MS });
    run(l, 3600);
    t.ok(l.state.learn.lagSamples > 0 && l.state.learn.rampHeatSamples > 0, 'the bath taught its lag and heating rate');
    t.same(missedAfter(l, 0), [], 'no miss while every press lands');
    const fromS = l.sim.tMs / 1000;
    let withheld = false;
    run(l, 900, (e) => {
      if (withheld || e !== expect) return true;
      withheld = true;
      return false;
    });
    const lost = l.presses.find((p) => !p.delivered);
    t.ok(lost, `an ${expect}-press was withheld`);
    const found = missedAfter(l, fromS);
    t.equal(found.length, 1, 'one miss detected, no other');
    const ev = found[0]!;
    t.equal(ev.e.data.expect, expect);
    t.ok((ev.e.data.detectMs as number) <= withinS * 1000, `detected ${ev.e.data.detectMs} ms after the press`);
    t.ok((ev.e.data.detectMs as number) >= DEFAULT_ENGINE.effectDelayMs + 5000, 'judged on readings taken after the effect delay');
    t.ok(ev.s - lost!.s <= withinS, 'as the bath sees it too');
    const next = l.presses.find((p) => p.s > lost!.s);
    t.match(next, { expect, delivered: true }, 'pressed again');
  });
}

t.test('no false miss on a correct press with a slow element (a legacy cooker, 60 s)', async (t) => {
  const l = start({ heaterTauS: 60, volumeL: 8, heaterW: 800 });
  run(l, 3 * 3600);
  t.ok(l.presses.length >= 20, `${l.presses.length} presses`);
  t.same(
    l.events.filter((x) => x.e.type === 'press_missed' || x.e.type === 'state_drift').map((x) => [x.s, x.e.type, x.e.data]),
    [],
    'every press landed and none was judged missed',
  );
  t.equal(l.state.health.misses, 0);
});

t.test('the evidence of a working press favours the hit', async (t) => {
  const l = start({});
  run(l, 3600);
  const shape = plantShape(l.state.learn)!;
  t.ok(shape, 'learned');
  const at = (l: Loop) => {
    const p = l.state.pending;
    return p === null ? null : missEvidence(DEFAULT_ENGINE, l.state.hist, p, l.state.switches, shape);
  };
  // Step until the engine presses, then look at the evidence 20 s later, delivered or not.
  const until = (l: Loop) => {
    while (l.state.pending === null) run(l, 1);
  };
  until(l);
  run(l, 19);
  const hit = at(l);
  t.ok(hit && hit.evidence < 0, `the press that landed: evidence ${hit?.evidence.toFixed(1)}`);
  t.ok(hit === null || hit.evidence < MISS_EVIDENCE);
});

t.test('readings between the press and the effect delay never weigh in', async (t) => {
  const shape = { deadS: 3, tauHeaterS: 20, tauProbeS: 8, rateCPerS: 0.05 };
  const atMs = 1_000_000;
  const pending = pendingPress(true, atMs, 55);
  // A cooling bath, then (from the press) the rise a working on-press gives, quantised.
  const truth = (sS: number) => 55 - 0.002 * sS + (sS > 0 ? shape.rateCPerS * switchRise(sS - shape.deadS, shape) : 0);
  const window = (inBetween: (sS: number) => number) => {
    const tt: number[] = [];
    const cc: number[] = [];
    for (let sS = -60; sS <= 20; sS++) {
      tt.push(atMs + sS * 1000);
      const c = sS > 0 && sS * 1000 < DEFAULT_ENGINE.effectDelayMs ? inBetween(sS) : truth(sS);
      cc.push(Math.round(c / 0.0625) * 0.0625);
    }
    return windowOf(tt, cc);
  };
  const clean = missEvidence(DEFAULT_ENGINE, window(truth), pending, [], shape)!;
  const wild = missEvidence(
    DEFAULT_ENGINE,
    window(() => 20),
    pending,
    [],
    shape,
  )!;
  t.ok(clean.evidence < -MISS_EVIDENCE, `a working press: evidence ${clean.evidence.toFixed(1)}`);
  t.equal(wild.evidence, clean.evidence, 'the same evidence whatever the readings in between say');
  t.equal(clean.postSamples, 13, 'judged on the 13 readings from 8 s to 20 s after the press');
});

t.test('the running test, fed reading by reading, holds the same evidence as the test from scratch', async (t) => {
  const shape = { deadS: 3, tauHeaterS: 20, tauProbeS: 8, rateCPerS: 0.03 };
  const atMs = 1_000_000;
  const pending = pendingPress(false, atMs, 60);
  const switches = [{ atMs: atMs - 35_000, on: true }];
  // The off-press missed: the heater keeps heating after the on-press 35 s earlier.
  const truth = (sS: number) => 59.8 - 0.001 * sS + shape.rateCPerS * switchRise(sS + 35 - shape.deadS, shape);
  let w = windowOf([], []);
  let test: PressTest | null = null;
  const seen: number[] = [];
  for (let sS = -80; sS <= 25; sS++) {
    w = pushSample(w, atMs + sS * 1000, Math.round(truth(sS) / 0.0625) * 0.0625, 90_000);
    if (sS < 0) continue;
    test = updatePressTest(test, DEFAULT_ENGINE, w, pending, switches, shape);
    const e = pressEvidence(test);
    if (e !== null) seen.push(e.evidence);
  }
  const scratch = missEvidence(DEFAULT_ENGINE, w, pending, switches, shape)!;
  t.ok(Math.abs(seen.at(-1)! - scratch.evidence) < 1e-6, `running ${seen.at(-1)} vs from scratch ${scratch.evidence}`);
  t.ok(scratch.evidence > MISS_EVIDENCE, `the miss is evident 25 s after the press: ${scratch.evidence.toFixed(1)}`);
  t.equal(test!.next, w.end, 'every reading taken in once');
});
