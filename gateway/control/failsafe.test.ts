import t from 'tap';
import type { KitParams } from '../../shared/thermal/params.js';
import { applyLoop, type ClosedLoop, secondsLoop, startLoop } from '../testing/closed-loop.js';
import { DEFAULT_ENGINE } from './config.js';
import { controlStep } from './device-control.js';
import { initialEngineState, step } from './engine/index.js';

/**
 * The fail-safe latch against kits that do not behave: every command each kit receives and the
 * bath itself are recorded each simulated second (assertions on data; simulated time only).
 */

/**
 * Heat towards 70 °C and, once the bath passes `overAtC` with the heater on at full power, lower
 * the target to 40 °C (a 60 min cook): the bath is over the limit (43 °C) while the element still
 * holds its heat. Returns when the first fail-safe `safe` was sent.
 */
function overTemperature(params: Partial<KitParams>, overAtC = 55): { run: ClosedLoop; failSafeS: number } {
  const run = startLoop({ startC: 30, ...params }, 70);
  for (let i = 0; i < 3 * 3600 && run.sim.waterC < overAtC; i++) secondsLoop(run, 1);
  if (!run.sim.heaterOn) throw new Error('the heater should be on');
  run.targetC = 40;
  applyLoop(run, { kind: 'cook_change', spec: { targetC: 40, durationMin: 60 } });
  const from = run.sent.length;
  for (let i = 0; i < 60 && !run.sent.slice(from).some((c) => c.op === 'safe'); i++) secondsLoop(run, 1);
  const first = run.sent.slice(from).find((c) => c.op === 'safe');
  if (!first) throw new Error('no fail-safe decision');
  return { run, failSafeS: first.tS };
}

/** The longest run of seconds, after `fromS`, with the cooker's switch on while the water is over the limit. */
function longestOnOverLimitS(run: ClosedLoop, fromS: number): number {
  let longest = 0;
  let current = 0;
  for (const b of run.bath) {
    if (b.tS < fromS) continue;
    current = b.on && b.waterC > b.limitC ? current + 1 : 0;
    longest = Math.max(longest, current);
  }
  return longest;
}

for (const [name, params] of [
  // The case found by probing: a small fast bath with a slow element; it coasts up for minutes.
  ['a kit that reads press as a toggle', { behaviour: 'toggle', volumeL: 3, heaterW: 1500, heaterTauS: 60 }],
  ['a kit that reads press as a toggle (8 L)', { behaviour: 'toggle' }],
  ['a kit that heats at once, with no lag', { behaviour: 'protocol', heaterTauS: 0.5, probeTauS: 0.5, servoLatencyMs: 200, volumeL: 3 }],
  ['a kit that follows the protocol (slow element)', { behaviour: 'protocol', volumeL: 3, heaterW: 1500, heaterTauS: 60 }],
] as const) {
  t.test(`over-temperature latches: ${name} gets only safe, and the heater stays off over the limit`, async (t) => {
    const { run, failSafeS } = overTemperature(params);
    const releasedAt = () => run.events.find((e) => e.type === 'fail_safe_released' && e.tS >= failSafeS);
    for (let i = 0; i < 3 * 3600 && !releasedAt(); i++) secondsLoop(run, 1);
    secondsLoop(run, 20 * 60);
    const released = releasedAt();
    const untilS = released?.tS ?? Number.POSITIVE_INFINITY;
    const during = run.sent.filter((c) => c.tS >= failSafeS && c.tS < untilS);
    t.same(
      during.filter((c) => c.op !== 'safe'),
      [],
      `from the fail-safe decision to its release, the kit received only safe (${during.length} commands)`,
    );
    const longest = longestOnOverLimitS(run, failSafeS);
    t.ok(longest <= 5, `the heater was on over the limit for at most ${longest} s in a row after the fail-safe`);
    const maxC = Math.max(...run.bath.filter((b) => b.tS >= failSafeS).map((b) => b.waterC));
    t.ok(maxC < 70, `the bath peaked at ${maxC.toFixed(2)} °C`);
    t.ok(released, 'the latch was released once the bath was 1 °C under the limit');
    const after = run.bath.filter((b) => b.tS >= untilS + 600);
    t.ok(
      after.length > 0 && after.every((b) => b.waterC < b.limitC),
      `after the release the bath stays under the limit (${after.length} s, max ${Math.max(...after.map((b) => b.waterC)).toFixed(2)}, released at ${untilS}, fail-safe at ${failSafeS}, ${JSON.stringify(run.sent.filter((c) => c.tS >= untilS).slice(0, 6))})`,
    );
    t.notOk(
      run.events.some((e) => e.type === 'actuator_disobeys'),
      'a kit that obeys safe raises no "actuator does not obey" alarm',
    );
  });
}

t.test('a kit that ignores safe: safe repeated with a growing interval, then a critical alarm; never a press', async (t) => {
  const { run, failSafeS } = overTemperature({ behaviour: 'ignore_safe' });
  secondsLoop(run, 15 * 60);
  const after = run.sent.filter((c) => c.tS >= failSafeS);
  t.same(
    after.filter((c) => c.op !== 'safe'),
    [],
    'only safe after the fail-safe decision',
  );
  t.ok(after.length >= 4, `safe was repeated while the bath kept rising (${after.length} times)`);
  const gaps = after.slice(1).map((c, i) => c.tS - after[i]!.tS);
  t.ok(
    gaps.every((g, i) => i === 0 || g >= gaps[i - 1]!),
    `with a growing interval (${gaps.join(', ')} s)`,
  );
  const alarm = run.events.find((e) => e.type === 'actuator_disobeys');
  t.ok(alarm, 'the actuator does not obey: an alarm');
  t.equal(alarm?.severity, 'critical');
  t.ok(alarm && alarm.tS - failSafeS <= 120, `raised ${alarm ? alarm.tS - failSafeS : '?'} s after the fail-safe decision`);
  t.equal(run.events.filter((e) => e.type === 'actuator_disobeys').length, 1, 'raised once');
  t.not(run.state.latch, null, 'the latch holds while the bath is over the limit');
});

t.test('an Ack that contradicts its command: the belief follows it; on a safety path, safe and an alarm', async (t) => {
  const run = startLoop({ startC: 59 }, 60);
  secondsLoop(run, 30);
  // An off-press answered "heater on": escalates.
  let r = controlStep(run.state, { kind: 'ack', op: 'press', expect: 'off', ok: true, heater: true }, run.sim.nowMs);
  t.equal(r.state.engine.lastBelief, true, 'the belief follows the Ack');
  t.match(r.events, [{ type: 'ack_contradicts', severity: 'alarm', safety: true }]);
  t.match(r.decision, { kind: 'safe' }, 'a safety path escalates to safe');
  t.match(r.audit, [{ action: 'safe' }]);
  // An on-press answered "heater off": recorded, belief follows, no command.
  r = controlStep(r.state, { kind: 'ack', op: 'press', expect: 'on', ok: true, heater: false }, run.sim.nowMs + 1000);
  t.equal(r.state.engine.lastBelief, false);
  t.match(r.events, [{ type: 'ack_contradicts', severity: 'warning' }]);
  t.equal(r.decision.kind, 'none');
  // A safe answered "heater on": an alarm, and no immediate second safe (no loop with a lying kit).
  r = controlStep(r.state, { kind: 'ack', op: 'safe', ok: true, heater: true }, run.sim.nowMs + 2000);
  t.match(r.events, [{ type: 'ack_contradicts', severity: 'alarm' }]);
  t.equal(r.decision.kind, 'none');
  // An Ack that agrees: nothing recorded.
  r = controlStep(r.state, { kind: 'ack', op: 'press', expect: 'on', ok: true, heater: true }, run.sim.nowMs + 3000);
  t.same(r.events, []);
});

t.test('a miss is never inferred from readings taken before the command could show', async (t) => {
  // A fast bath rising at 0.1 °C/s; an off-press at T; the readings keep rising for the 8 s the
  // press needs to show (servo + dead time), then the bath stops rising: the press worked.
  const T = 1_000_000;
  let s = initialEngineState();
  s = {
    ...s,
    cook: { spec: { targetC: 80 }, phase: 'heating', startedMs: T - 600_000, reachedMs: null, doneMs: null },
    actual: true,
    lastBelief: true,
    learn: { ...s.learn, lagS: 10, lagSamples: 3, heatCPerS: 0.03, heatSamples: 3 },
  };
  const level = (ms: number) => 50 + (0.1 * Math.min(ms - T, DEFAULT_ENGINE.effectDelayMs)) / 1000;
  for (let ms = T - 20_000; ms < T; ms += 1000) s = step(s, { tempC: level(ms), sensor: 'ok', heater: true }, ms).state;
  s = {
    ...s,
    pending: {
      expect: false,
      atMs: T,
      fromC: 50,
      fromSlope: 0.1,
      peakSlope: 0.1,
      deadlineMs: T + 58_000,
      byDevice: false,
      pulled: false,
      toggled: true,
    },
    lastPressMs: T,
    episode: {
      mode: 'ramp',
      onMs: T - 300_000,
      plannedOnMs: 0,
      troughC: 30,
      troughMs: T - 300_000,
      offMs: T,
      offC: 50,
      offSlope: 0.03,
      peakC: 50,
      peakMs: T,
      peakSeen: false,
    },
  };
  const misses: number[] = [];
  for (let ms = T + 1000; ms <= T + 60_000; ms += 1000) {
    const r = step(s, { tempC: Math.round(level(ms) / 0.0625) * 0.0625, sensor: 'ok', heater: false }, ms);
    s = r.state;
    for (const e of r.events) if (e.type === 'press_missed' && e.data.expect === 'off') misses.push(ms - T);
  }
  t.same(misses, [], `the rise before the press could show decides nothing (${misses.join(', ')})`);
  t.ok(s.health.confirmed >= 1, 'the off-press is confirmed');
});

t.test('a servo that misses presses: the correction press keeps the bath from boiling, and only ever finds the element on', async (t) => {
  // Before the correction press (ADR 052) a missed off-press left the kit believing off while the
  // element heated: `safe` pressed nothing, and in 5 of these 12 runs the bath boiled (100 °C).
  let corrections = 0;
  for (const missProb of [0.3, 0.5, 0.7])
    for (const seed of [15, 16, 17, 18]) {
      const run = startLoop({ volumeL: 8, heaterW: 1000, uaWPerK: 2, missProb, seed }, 60);
      const atCorrection: boolean[] = [];
      for (let i = 0; i < 4 * 3600; i++) {
        const before = run.sent.length;
        secondsLoop(run, 1);
        for (const c of run.sent.slice(before)) {
          const ev = run.events.find((e) => e.type === 'correction_press' && e.tS === c.tS);
          if (c.op === 'press' && c.expect === 'off' && ev) atCorrection.push(run.bath.at(-1)?.on ?? false);
        }
      }
      const maxC = Math.max(...run.bath.map((b) => b.waterC));
      t.ok(maxC < 80, `misses ${missProb * 100} %, seed ${seed}: the bath peaked at ${maxC.toFixed(1)} °C`);
      t.ok(
        atCorrection.every((on) => on),
        `every correction press found the element on (${atCorrection.length} of them)`,
      );
      corrections += atCorrection.length;
    }
  t.ok(corrections > 0, `correction presses were needed (${corrections})`);
});

t.test('a servo that misses presses, in 64 baths: none boils', async (t) => {
  // 3–15 L, 800/1200 W, insulated or open, 20 % and 50 % of presses missed, two seeds, 4 h at
  // 60 °C. Before the correction press 23 of these 64 cooks boiled (docs/control.md). The hottest
  // is the luck of the draw: with eight seeds (256 cooks) one boils, when six correction presses
  // in a row miss (docs/control.md, "Small, fast baths").
  const BOIL_C = 99.5;
  const peaks: number[] = [];
  for (const volumeL of [3, 5, 8, 15])
    for (const heaterW of [800, 1200])
      for (const uaWPerK of [0.6, 5])
        for (const missProb of [0.2, 0.5])
          for (const seed of [1, 2]) {
            const run = startLoop({ volumeL, heaterW, uaWPerK, missProb, seed, heaterTauS: volumeL === 3 ? 60 : 20 }, 60);
            secondsLoop(run, 4 * 3600);
            peaks.push(Math.max(...run.bath.map((b) => b.waterC)));
          }
  const worst = Math.max(...peaks);
  t.equal(peaks.length, 64);
  t.ok(worst < BOIL_C, `the hottest of the 64 baths peaked at ${worst.toFixed(1)} °C (none boiled)`);
  t.ok(peaks.filter((p) => p >= 90).length <= 1, `${peaks.filter((p) => p >= 90).length} of 64 reached the 90 °C limit`);
});

t.test('a bath that never warmed is held off without a false "actuator does not obey"', async (t) => {
  // A servo that misses 80 % of presses never got the element on in the first 5 min: the
  // held-off heater latches over a flat 20 °C bath, where one 0.0625 °C step of the probe used to
  // read as "still rising" and raised the critical alarm.
  const run = startLoop({ volumeL: 3, heaterW: 800, uaWPerK: 5, missProb: 0.8, seed: 1, heaterTauS: 60 }, 60);
  secondsLoop(run, 3600);
  t.ok(
    run.events.some((e) => e.type === 'heater_stuck'),
    'held off: the heater was commanded on 5 min without warming',
  );
  t.ok(Math.max(...run.bath.map((b) => b.waterC)) < 21, 'the bath never warmed');
  t.same(
    run.events.filter((e) => e.type === 'actuator_disobeys').map((e) => e.tS),
    [],
    'no "actuator does not obey" alarm over a flat bath',
  );
});

t.test(
  'a cooker that ignores its button (relay stuck on): after 10 correction presses one every 5 min, the critical alarm stands',
  async (t) => {
    const run = startLoop({ volumeL: 8, heaterW: 1000, uaWPerK: 5, seed: 3 }, 60);
    secondsLoop(run, 3600);
    run.sim.injectFault('runaway');
    // A missed off-press's aftermath: the kit believes off while the element heats.
    run.sim.belief = false;
    secondsLoop(run, 2 * 3600);
    const at = run.events.filter((e) => e.type === 'correction_press').map((e) => e.tS);
    const gaps = at.slice(1).map((x, i) => x - at[i]!);
    t.ok(at.length > 10, `${at.length} correction presses in 2 h`);
    t.ok(
      gaps.slice(10).every((g) => g >= 300),
      `after the tenth in a row, at least 5 min apart (${gaps.slice(10).join(', ')} s)`,
    );
    t.ok(
      run.events.some((e) => e.type === 'actuator_disobeys' && e.severity === 'critical'),
      'the actuator does not obey: a critical alarm asks a person',
    );
    t.equal(run.state.engine.inhibit, 'over-temperature', 'the engine stays inhibited');
  },
);
