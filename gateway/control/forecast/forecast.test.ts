import t from 'tap';
import { ThermalSim } from '../../../shared/thermal/simulator.js';
import { Forecasts } from '../../control-driver/forecasts.js';
import { DEFAULT_ENGINE } from '../config.js';
import { controlStep, type DeviceControlState, initialControlState } from '../device-control.js';
import { LEARNED_HEAT_SAMPLES, readyAt } from './ready-at.js';
import { SafetyTracker } from './safe-at.js';

/**
 * The real engine heats a simulated bath (shared/thermal) at 1 Hz; at checkpoints ready-at is
 * forecast from what the engine learned, and compared with when the engine really saw the
 * target reached. Simulated time only.
 */
interface Cell {
  volumeL: number;
  heaterW: number;
  uaWPerK: number;
  seed: number;
}

function heatUp(cell: Cell, targetC: number, checkpointsS: number[]) {
  const sim = new ThermalSim({ ...cell, servoLatencyMs: 1000 });
  let ctl: DeviceControlState = initialControlState();
  const forecasts: { tS: number; atMs: number; earliestMs: number; latestMs: number; learning: boolean }[] = [];
  let reachedMs = null as number | null;
  const step = (input: Parameters<typeof controlStep>[1]) => {
    const r = controlStep(ctl, input, sim.nowMs);
    ctl = r.state;
    if (r.events.some((e) => e.type === 'reached')) reachedMs = sim.nowMs;
    if (r.decision.kind === 'press') sim.command({ op: 'press', expect: r.decision.expect });
    if (r.decision.kind === 'safe') sim.command({ op: 'safe' });
  };
  step({ kind: 'cook_start', spec: { targetC } });
  for (let s = 1; s <= 4 * 3600 && reachedMs === null; s++) {
    sim.step(1000);
    const m = sim.telemetry();
    step({ kind: 'telemetry', reading: { tempC: m.tempC, sensor: m.sensor, heater: m.heater } });
    if (checkpointsS.includes(s) && reachedMs === null) {
      const eng = ctl.engine;
      const f = readyAt({
        nowMs: sim.nowMs,
        targetC,
        bandC: DEFAULT_ENGINE.bandC,
        bathC: eng.lastC,
        reachedMs: null,
        heaterOn: eng.actual,
        learned: eng.learn,
      });
      if (f) forecasts.push({ tS: s, ...f });
    }
  }
  return { reachedMs, forecasts, startMs: sim.p.startEpochMs };
}

const CELLS: Cell[] = [
  { volumeL: 8, heaterW: 1000, uaWPerK: 2, seed: 1 },
  { volumeL: 5, heaterW: 800, uaWPerK: 5, seed: 2 },
  { volumeL: 20, heaterW: 1500, uaWPerK: 1, seed: 3 },
];

for (const cell of CELLS) {
  t.test(`ready-at within ±10 % of the simulated truth once learned: ${cell.volumeL} L / ${cell.heaterW} W`, async (t) => {
    const { reachedMs, forecasts, startMs } = heatUp(cell, 60, [30, 120, 300, 400, 600, 900, 1200]);
    t.ok(reachedMs !== null, 'the bath reached its target');
    const learned = forecasts.filter((f) => !f.learning);
    t.ok(learned.length >= 2, `${learned.length} forecasts made with a learned model`);
    for (const f of learned) {
      const fromMs = startMs + f.tS * 1000;
      const truthS = (reachedMs! - fromMs) / 1000;
      const predS = (f.atMs - fromMs) / 1000;
      const err = (predS - truthS) / truthS;
      t.ok(
        Math.abs(err) <= 0.1,
        `at ${f.tS} s: forecast ${predS.toFixed(0)} s to go, truth ${truthS.toFixed(0)} s (${(err * 100).toFixed(1)} %)`,
      );
    }
  });
}

t.test('while learning, the band is wide and narrows as samples come in', async (t) => {
  const { forecasts } = heatUp(CELLS[0]!, 60, [1, 60, 200, 600]);
  const widths = forecasts.map((f) => f.latestMs - f.earliestMs);
  t.ok(forecasts[0]!.learning, 'learning at the start');
  t.ok(widths[0]! > 0, 'a band at the start');
  t.ok(widths[widths.length - 1]! < widths[0]!, `band ${widths.map((w) => (w / 1000).toFixed(0)).join(' → ')} s`);
  t.ok(LEARNED_HEAT_SAMPLES > 0);
});

t.test('ready-at: once reached it is the reached time; an unwinnable bath is never ready', async (t) => {
  const learned = { heatCPerS: 0.01, heatSamples: 100, coolCPerS: 0.004, coolSamples: 5, lagS: 30, lagSamples: 2 };
  const base = { nowMs: 1000, targetC: 60, bandC: 0.5, bathC: 40, heaterOn: true, learned };
  t.same(readyAt({ ...base, reachedMs: 500 }), { atMs: 500, earliestMs: 500, latestMs: 500, learning: false });
  // Losses 0.004 °C/s at 40 °C above ambient → b = 1e-4/s; a heater giving 0.001 °C/s at 40 °C
  // stalls 10 °C higher, short of the target.
  t.equal(readyAt({ ...base, reachedMs: null, learned: { ...learned, heatCPerS: 0.001 } }), null);
  const on = readyAt({ ...base, reachedMs: null })!;
  const off = readyAt({ ...base, reachedMs: null, heaterOn: false })!;
  t.equal(off.atMs - on.atMs, 30_000, 'a heater still off adds the learned lag');
  t.ok(on.atMs > base.nowMs + (19.5 / 0.01) * 1000, 'losses make it later than the straight line');
});

t.test('safe-at from the measured bath: a sag moves it later; a cool bath never pasteurizes', async (t) => {
  const food = { kind: 'poultry' as const, shape: 'slab' as const, thicknessMm: 25 };
  const t0 = 1_000_000;
  const run = (bath: (s: number) => number) => {
    const tr = new SafetyTracker('k', food);
    for (let s = 0; s <= 3600; s += 5) tr.onBath(t0 + s * 1000, bath(s));
    return tr.safeAt(t0 + 3600_000, 62, null, true);
  };
  const steady = run(() => 62);
  const sag = run((s) => (s > 2400 && s < 3300 ? 58 : 62));
  t.ok(steady !== null && sag !== null);
  t.ok(sag! > steady!, `the sag moves safe-at later by ${((sag! - steady!) / 60_000).toFixed(1)} min`);
  t.equal(
    run(() => 53),
    null,
    'a bath at 53 °C never pasteurizes',
  );
});

t.test('live model across a 3 h gap: nothing credited, the core cools, no "pasteurized", safe-at never', async (t) => {
  // Poultry 25 mm at 62 °C to ~85 %, then the kit is off 3 h and comes back reading 30 °C (the audit's case:
  // it was reported pasteurized 95 s later).
  const food = { kind: 'poultry' as const, shape: 'slab' as const, thicknessMm: 25 };
  const t0 = 1_000_000;
  const tr = new SafetyTracker('k', food);
  let ms = t0;
  for (; tr.model.progress < 0.85; ms += 5000) tr.onBath(ms, 62);
  const before = tr.model.progress;
  const back = ms + 3 * 3600_000;
  for (let s = 0; s <= 600; s += 5) tr.onBath(back + s * 1000, 30);
  t.equal(tr.model.progress, before, 'no lethality for the gap or after it');
  t.equal(tr.view(false).pasteurized, false);
  t.equal(tr.pasteurizedAtMs, null);
  t.ok(tr.model.coreC < 35, `the core cooled toward the 30 °C bath (${tr.model.coreC.toFixed(1)} °C)`);
  t.equal(tr.safeAt(back + 600_000, 62, null, true), null, 'held at 30 °C: never');
});

t.test('Forecasts: the food stays in when the target changes; a food change starts a cold core', async (t) => {
  const emitted: string[] = [];
  const f = new Forecasts((_d, e) => emitted.push(e.type));
  const spec = { targetC: 60, foodKind: 'poultry' as const, foodShape: 'slab' as const, thicknessMm: 20 };
  const t0 = 5_000_000;
  const state = initialControlState();
  const cook = (s: 'heating' | 'holding', sp: typeof spec = spec) => ({ id: 'c1', spec: sp, state: s });
  for (let s = 0; s < 600; s += 5) f.onReading('k', cook('heating'), 40, t0 + s * 1000); // before ready: food in the fridge
  t.equal(f.forecast('k', cook('heating'), state, t0 + 600_000).safety?.coreC, 5, 'the food is not in while the water heats');
  for (let s = 600; s < 3000; s += 5) f.onReading('k', cook('holding'), 60, t0 + s * 1000);
  const held = f.forecast('k', cook('holding'), state, t0 + 3000_000).safety!;
  // The target raised: the cook heats again, with the food in it (the core keeps following the bath).
  const raised = { ...spec, targetC: 62 };
  for (let s = 3000; s < 3600; s += 5) f.onReading('k', cook('heating', raised), 61, t0 + s * 1000);
  const after = f.forecast('k', cook('heating', raised), state, t0 + 3600_000).safety!;
  t.ok(after.lethality > held.lethality, `the core kept being credited while heating again (${held.lethality} → ${after.lethality})`);
  // The thickness changed: a new, fridge-cold core from the change.
  const thin = { ...raised, thicknessMm: 10 };
  f.onReading('k', cook('heating', thin), 61, t0 + 3600_000);
  t.equal(f.forecast('k', cook('heating', thin), state, t0 + 3600_000).safety?.lethality, 0, 'a new piece starts from nothing');
  t.same(emitted, []);
});
