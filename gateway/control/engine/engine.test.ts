import t from 'tap';
import { DEFAULT_ENGINE } from '../config.js';
import type { Decision, Reading } from '../types.js';
import { changeCook, type EngineResult, type EngineState, initialEngineState, pulseShape, startCook, step, stopCook } from './index.js';

/** Fake clock: readings every second from T0; temperatures from a function of elapsed seconds. */
const T0 = 1_763_798_400_000;

interface Run {
  state: EngineState;
  decisions: { s: number; d: Decision }[];
  events: { s: number; type: string; data: Record<string, unknown> }[];
  audit: string[];
}

function drive(state: EngineState, fromS: number, toS: number, tempAt: (s: number) => number, heater: (s: number, r: Run) => boolean): Run {
  const run: Run = { state, decisions: [], events: [], audit: [] };
  for (let s = fromS; s < toS; s++) {
    const reading: Reading = { tempC: q(tempAt(s)), sensor: 'ok', heater: heater(s, run) };
    const r: EngineResult = step(run.state, reading, T0 + s * 1000);
    run.state = r.state;
    if (r.decision.kind !== 'none') run.decisions.push({ s, d: r.decision });
    for (const e of r.events) run.events.push({ s, type: e.type, data: e.data });
    for (const a of r.audit) run.audit.push(a.action);
  }
  return run;
}

const q = (c: number) => Math.round(c / 0.0625) * 0.0625;
const lastExpect = (r: Run) => (s: number) => {
  const before = r.decisions.filter((x) => x.s < s && x.d.kind === 'press');
  const d = before[before.length - 1]?.d;
  return d?.kind === 'press' ? d.expect === 'on' : false;
};

function cooking(targetC = 60, durationMin?: number): EngineState {
  return startCook(initialEngineState(), { targetC, durationMin }, T0).state;
}

t.test('a cook starts with `heating`, and a cold bath gets one on-press, then waits for it to show', async (t) => {
  const started = startCook(initialEngineState(), { targetC: 60 }, T0);
  t.same(
    started.events.map((e) => e.type),
    ['heating'],
  );
  let r: Run = { state: started.state, decisions: [], events: [], audit: [] };
  r = drive(started.state, 0, 25, () => 20, lastExpect(r));
  t.equal(r.decisions.length, 1, 'exactly one press while it is unconfirmed');
  t.match(r.decisions[0]!.d, { kind: 'press', expect: 'on' });
  t.same(r.audit, ['press_on'], 'every press is audited');
  t.equal(r.state.health.presses, 1);
});

t.test('an on-press is confirmed when the bath rises above its earlier trend', async (t) => {
  let s = cooking();
  s = drive(
    s,
    0,
    10,
    () => 20,
    () => false,
  ).state;
  t.ok(s.pending?.expect, 'pending on-press');
  const r = drive(
    s,
    10,
    60,
    (x) => 20 + Math.max(0, x - 30) * 0.04,
    () => true,
  );
  t.equal(r.state.pending, null);
  t.equal(r.state.actual, true);
  t.equal(r.state.health.confirmed, 1);
  t.equal(r.events.length, 0, 'no miss');
});

t.test('a missed on-press is detected within 60 s, pressed again, and an alarm after 3 misses', async (t) => {
  // A bath whose lag is known (30 s); an unknown bath gets a slower allowance (next test).
  let s = cooking();
  s = { ...s, learn: { ...s.learn, lagS: 30, lagSamples: 1 } };
  const start = drive(
    s,
    0,
    10,
    () => 40,
    () => false,
  );
  s = start.state;
  const pressS = start.decisions[0]!.s;
  // The bath keeps falling: the press did nothing.
  const r = drive(
    s,
    10,
    400,
    (x) => 40 - x * 0.002,
    (x) => x > pressS,
  );
  const misses = r.events.filter((e) => e.type === 'press_missed');
  t.ok(misses.length >= 3, `${misses.length} misses detected`);
  t.ok((misses[0]!.data.detectMs as number) <= 60_000, `first detected after ${misses[0]!.data.detectMs} ms`);
  t.equal(misses[0]!.s - pressS, (misses[0]!.data.detectMs as number) / 1000, 'detection time is measured from the press');
  const presses = r.decisions.filter((x) => x.d.kind === 'press' && x.d.expect === 'on');
  t.ok(presses.length >= 3, 'pressed on again after each miss');
  for (let i = 1; i < presses.length; i++) t.ok(presses[i]!.s - presses[i - 1]!.s >= 30, 'minimum dwell respected');
  t.equal(r.events.filter((e) => e.type === 'actuator_fault').length, 1, 'one actuator_fault alarm for the streak');
  t.ok(r.state.health.misses >= 3);
});

t.test('before the lag is learned, a first on-press gets the slow-cooker allowance (no false miss)', async (t) => {
  const start = drive(
    cooking(),
    0,
    10,
    () => 20,
    () => false,
  );
  const pressS = start.decisions[0]!.s;
  const r = drive(
    start.state,
    10,
    200,
    () => 20,
    (x) => x > pressS,
  );
  const miss = r.events.find((e) => e.type === 'press_missed');
  t.ok(miss, 'still detected');
  t.ok((miss!.data.detectMs as number) > 60_000 && (miss!.data.detectMs as number) <= 90_000, `after ${miss!.data.detectMs} ms`);
});

t.test('anticipation: off before the target, from the rate of rise and the learned lag', async (t) => {
  let s = cooking();
  s = { ...s, actual: true, lastBelief: true, lastPressMs: T0 - 600_000, episode: null };
  const r = drive(
    s,
    0,
    600,
    (x) => 50 + x * 0.05,
    () => true,
  );
  const off = r.decisions.find((x) => x.d.kind === 'press' && x.d.expect === 'off');
  t.ok(off, 'pressed off');
  const atC = 50 + off!.s * 0.05;
  const lead = 60 - atC;
  t.ok(
    lead > 0.05 * DEFAULT_ENGINE.initialLagS * 0.8 && lead < 0.05 * DEFAULT_ENGINE.initialLagS * 1.2,
    `pressed ${lead.toFixed(2)} °C early`,
  );
  t.match(off!.d, { reason: /anticipated peak/ });
});

t.test('drift: believed on, bath falling for 30 s → state_drift and a new on-press', async (t) => {
  let s = cooking();
  s = { ...s, actual: true, lastBelief: true, lastPressMs: T0 - 600_000, episode: null };
  const r = drive(
    s,
    0,
    200,
    (x) => 58 - x * 0.01,
    () => true,
  );
  const drift = r.events.find((e) => e.type === 'state_drift');
  t.ok(drift, 'drift detected');
  t.match(drift!.data, { believed: 'on', inferred: 'off' });
  t.ok(drift!.s <= 60, `within 60 s (at ${drift!.s} s)`);
  t.ok(
    r.decisions.some((x) => x.s >= drift!.s && x.d.kind === 'press' && x.d.expect === 'on'),
    'pressed on again',
  );
});

t.test('a belief change no command explains is the kit pressing by itself', async (t) => {
  let s = cooking(60);
  s = { ...s, actual: true, lastBelief: true, lastPressMs: T0 - 600_000 };
  const r = drive(
    s,
    0,
    12,
    () => 59,
    (x) => x < 10,
  );
  t.same(
    r.events.filter((e) => e.type === 'device_press').map((e) => e.data),
    [{ belief: 'off' }],
  );
  t.equal(r.state.pending?.byDevice, true, 'verified like any press');
});

t.test('lifecycle: reached in band, done when the timer ran out, stopped → safe', async (t) => {
  let s = cooking(60, 1);
  s = { ...s, actual: false, lastBelief: false };
  const r = drive(
    s,
    0,
    100,
    () => 59.8,
    () => false,
  );
  const types = r.events.map((e) => e.type);
  t.same(types, ['reached', 'done']);
  const reached = r.events[0]!.s;
  t.equal(r.events[1]!.s - reached, 60, 'the timer counts from reached');
  t.equal(r.state.cook?.phase, 'done');
  const stopped = stopCook({ ...r.state, lastBelief: true, actual: true }, T0 + 200_000);
  t.same(
    stopped.events.map((e) => e.type),
    ['stopped'],
  );
  t.match(stopped.decision, { kind: 'safe' });
  t.same(
    stopped.audit.map((a) => a.action),
    ['safe'],
  );
  const idle = stopCook({ ...r.state, lastBelief: false, actual: false }, T0 + 200_000);
  t.same(idle.decision, { kind: 'none' }, 'nothing to switch off');
  const wrong = stopCook({ ...r.state, lastBelief: false, actual: true, lastPressMs: T0 }, T0 + 200_000);
  t.same(wrong.decision, { kind: 'none' }, 'a safe would not press when the kit believes off…');
  const next = drive(
    wrong.state,
    201,
    212,
    () => 60,
    () => false,
  );
  t.match(next.decisions[0]?.d, { kind: 'press', expect: 'off' }, '…so the next step presses off');
});

t.test('press budget: the hourly cap holds an on-press back, and an off-press out of budget becomes safe', async (t) => {
  let s = cooking();
  const now = T0 + 3600_000;
  const log = Array.from({ length: 39 }, (_, i) => now - 3000_000 + i * 60_000);
  s = { ...s, pressLog: log, lastPressMs: log[log.length - 1]!, actual: false, lastBelief: false };
  const r = drive(
    s,
    3600,
    3700,
    () => 40,
    () => false,
  );
  t.equal(r.decisions.length, 0, 'no on-press: one press is kept for switching off');
  t.same(
    r.events.map((e) => e.type),
    ['press_budget_exhausted'],
  );
  const full = Array.from({ length: 40 }, (_, i) => now - 3000_000 + i * 60_000);
  let hot: EngineState = { ...cooking(), pressLog: full, lastPressMs: full[39]!, actual: true, lastBelief: true, episode: null };
  hot = { ...hot, cook: { ...hot.cook!, reachedMs: T0 } };
  const r2 = drive(
    hot,
    3600,
    3620,
    () => 63,
    () => true,
  );
  t.match(r2.decisions[0]?.d, { kind: 'safe', reason: /budget/ });
});

t.test('pure and deterministic: the input state is not changed, the same input gives the same output', async (t) => {
  const s = drive(
    cooking(),
    0,
    40,
    (x) => 20 + x * 0.01,
    () => true,
  ).state;
  const frozen = JSON.stringify(s);
  const a = step(s, { tempC: 21, sensor: 'ok', heater: true }, T0 + 41_000);
  const b = step(s, { tempC: 21, sensor: 'ok', heater: true }, T0 + 41_000);
  t.equal(JSON.stringify(s), frozen, 'input untouched');
  t.same(a, b);
});

t.test('a bad reading is ignored by the engine (the watchdog owns sensor faults)', async (t) => {
  const s = drive(
    cooking(),
    0,
    20,
    () => 20,
    () => false,
  ).state;
  const r = step(s, { tempC: null, sensor: 'disconnected', heater: true }, T0 + 21_000);
  t.same(r.decision, { kind: 'none' });
  t.equal(r.state.win, s.win, 'no sample added');
});

t.test('a missed off-press is detected (the bath keeps climbing) and pressed again', async (t) => {
  let s = cooking();
  s = { ...s, actual: true, lastBelief: true, lastPressMs: T0 - 600_000, episode: null };
  const r = drive(
    s,
    0,
    400,
    (x) => 50 + x * 0.05,
    (x) => x < 0,
  );
  const offs = r.decisions.filter((x) => x.d.kind === 'press' && x.d.expect === 'off');
  const miss = r.events.find((e) => e.type === 'press_missed');
  t.ok(miss, 'miss detected');
  t.match(miss!.data, { expect: 'off' });
  t.ok((miss!.data.detectMs as number) <= 60_000, `after ${miss!.data.detectMs} ms`);
  t.ok(offs.length >= 2, 'pressed off again');
});

t.test('the lag is learned from the heat-up ramp (intercept of the ramp with the starting level)', async (t) => {
  for (const lagS of [15, 30, 50]) {
    let state = cooking();
    let pressS: number | null = null;
    for (let x = 0; x < 400; x++) {
      const c = pressS === null ? 20 : 20 + 0.03 * Math.max(0, x - pressS - lagS);
      const r = step(state, { tempC: q(c), sensor: 'ok', heater: pressS !== null }, T0 + x * 1000);
      state = r.state;
      if (r.decision.kind === 'press' && pressS === null) pressS = x;
    }
    t.ok(Math.abs(state.learn.lagS - lagS) <= 3, `true lag ${lagS} s, learned ${state.learn.lagS.toFixed(1)} s`);
    t.ok(Math.abs(state.learn.heatCPerS - 0.03) < 0.003, `heating rate ${state.learn.heatCPerS.toFixed(4)} °C/s`);
  }
});

t.test('an inhibited engine never presses (the latch sends safe), and no cook means no heating', async (t) => {
  let s = cooking();
  s = { ...s, actual: true, lastBelief: true, lastPressMs: T0 - 600_000, inhibit: 'over-temperature' };
  const r = drive(
    s,
    0,
    120,
    () => 50,
    () => true,
  );
  // A press is a toggle: on a wrong inference it turns a heater that is off back on.
  t.same(r.decisions, [], 'no press while inhibited, whatever the engine infers');
  const idle = drive(
    initialEngineState(),
    0,
    100,
    () => 20,
    () => false,
  );
  t.equal(idle.decisions.length, 0, 'no cook: nothing pressed');
});

t.test('changing the target restarts heating and reached', async (t) => {
  let s = cooking(60, 30);
  s = { ...s, actual: false, lastBelief: false };
  s = drive(
    s,
    0,
    20,
    () => 60,
    () => false,
  ).state;
  t.equal(s.cook?.phase, 'holding');
  const same = changeCook(s, { targetC: 60, durationMin: 45 }, T0 + 30_000);
  t.equal(same.state.cook?.phase, 'holding', 'a new timer on the same target keeps holding');
  t.same(same.events, []);
  const up = changeCook(s, { targetC: 65 }, T0 + 30_000);
  t.same(
    up.events.map((e) => [e.type, e.data.targetC]),
    [['heating', 65]],
  );
  t.equal(up.state.cook?.reachedMs, null);
});

t.test('pulses are planned from the learned gain and paced to the hourly cap', async (t) => {
  const s = cooking();
  const slowBath = { ...s, learn: { ...s.learn, heatCPerS: 0.05, coolCPerS: 0.015, pulseGainCPerS: 0.06, pulseSamples: 3, verifyOnS: 20 } };
  const shape = pulseShape(DEFAULT_ENGINE, slowBath);
  // Energy balance: gain × t_on = cool × period, period ≥ 2 × 3600 / (cap × share) (200 s by default).
  const period = (2 * 3600) / (DEFAULT_ENGINE.maxPressesPerHour * DEFAULT_ENGINE.budgetShare);
  t.ok(Math.abs(shape.onS - (period * 0.015) / 0.06) < 1e-9, `on-time ${shape.onS.toFixed(1)} s stretched by the cap`);
  t.ok(Math.abs(shape.halfSwingC - (0.06 * shape.onS) / 2) < 1e-9, 'half swing = gain × t_on / 2');
  const insulated = { ...slowBath, learn: { ...slowBath.learn, coolCPerS: 0.001 } };
  t.equal(pulseShape(DEFAULT_ENGINE, insulated).onS, 30, 'the 30 s dwell is the floor');
});
