import t from 'tap';
import { type ControlInput, controlStep, type DeviceControlState, initialControlState } from '../../../gateway/control/device-control.js';
import type { ControlEvent, Decision } from '../../../gateway/control/types.js';
import { ThermalSim } from '../../../shared/thermal/simulator.js';
import { runCell } from './closed-loop.js';

/** Engine + watchdog against the simulator, in simulated time (assertions on data, not on the clock). */

t.test('8 L / 1000 W reaches 60 °C near the physical minimum and holds within a band', async (t) => {
  const m = runCell({ volumeL: 8, heaterW: 1000, uaWPerK: 2, servoLatencyMs: 1000, missProb: 0, seed: 7 }, 'engine', { hours: 2 });
  t.ok(m.heatUpS !== null && m.heatUpRatio! <= 1.15, `heat-up ${m.heatUpS} s = ${m.heatUpRatio?.toFixed(3)} × minimum`);
  t.ok(m.overshootC! <= 0.5, `overshoot ${m.overshootC?.toFixed(2)} °C`);
  t.ok(m.maxErrC! <= 0.6, `|error| after settling ≤ 0.6 °C (max ${m.maxErrC?.toFixed(2)}, p95 ${m.p95ErrC?.toFixed(2)})`);
  t.ok(m.maxPressesInHour <= 40, `${m.maxPressesInHour} presses in the busiest hour`);
});

t.test('missed presses are detected within 60 s and pressed again; the bath still holds', async (t) => {
  const m = runCell({ volumeL: 8, heaterW: 1000, uaWPerK: 2, servoLatencyMs: 2000, missProb: 0.2, seed: 11 }, 'engine', {
    hours: 2,
    traceEveryS: 10,
  });
  t.ok(m.missed >= 3, `${m.missed} presses missed`);
  t.equal(m.detected, m.missed, 'every miss detected');
  t.ok(m.detectMaxS! <= 60, `slowest detection ${m.detectMaxS} s`);
  // Each missed off-press costs ~40 s of extra heating; the bath never reaches the over-temperature limit.
  const worst = Math.max(...m.trace.filter((p) => p.tS > m.heatUpS!).map((p) => Math.abs(p.waterC - 60)));
  t.ok(worst < 3, `worst |error| ${worst.toFixed(2)} °C stays under the +3 °C over-temperature limit`);
});

t.test('plain hysteresis overshoots and, with a missed press, loses the bath (the baseline)', async (t) => {
  const e = runCell({ volumeL: 5, heaterW: 1200, uaWPerK: 0.6, servoLatencyMs: 3000, missProb: 0, seed: 3 }, 'engine', { hours: 1 });
  const h = runCell({ volumeL: 5, heaterW: 1200, uaWPerK: 0.6, servoLatencyMs: 3000, missProb: 0, seed: 3 }, 'hysteresis', { hours: 1 });
  t.ok(h.overshootC! > e.overshootC! + 0.5, `hysteresis ${h.overshootC?.toFixed(2)} °C vs engine ${e.overshootC?.toFixed(2)} °C`);
});

t.test('probe disconnect while heating: safe on the 3rd bad reading, heater off within 5 s of it', async (t) => {
  const m = runCell({ volumeL: 8, heaterW: 1000, uaWPerK: 5, servoLatencyMs: 3000, missProb: 0, seed: 5 }, 'engine', {
    hours: 1,
    faultAfterS: 2400,
  });
  t.ok(m.faultToOffAfterThirdS !== null && m.faultToOffAfterThirdS <= 5, `off ${m.faultToOffAfterThirdS} s after the 3rd bad reading`);
});

function loop(sim: ThermalSim, state: DeviceControlState, seconds: number, onEach?: (s: number) => void) {
  const events: ControlEvent[] = [];
  const decisions: Decision[] = [];
  const apply = (input: ControlInput) => {
    const r = controlStep(state, input, sim.nowMs);
    state = r.state;
    events.push(...r.events);
    if (r.decision.kind !== 'none') {
      decisions.push(r.decision);
      sim.command(r.decision.kind === 'press' ? { op: 'press', expect: r.decision.expect } : { op: 'safe' });
    }
  };
  for (let s = 0; s < seconds; s++) {
    onEach?.(s);
    sim.step(1000);
    const m = sim.telemetry();
    apply({ kind: 'telemetry', reading: { tempC: m.tempC, sensor: m.sensor, heater: m.heater, boot: m.boot } });
    apply({ kind: 'tick' });
  }
  return { state, events, decisions };
}

t.test('over-temperature runaway: safe, critical event, engine inhibited from heating', async (t) => {
  const sim = new ThermalSim({ volumeL: 5, heaterW: 1200, uaWPerK: 2, startC: 58, seed: 2 });
  let st = controlStep(initialControlState(), { kind: 'cook_start', spec: { targetC: 60 } }, sim.nowMs).state;
  const a = loop(sim, st, 600);
  st = a.state;
  sim.injectFault('runaway');
  const b = loop(sim, st, 600);
  const over = b.events.find((e) => e.type === 'over_temp');
  t.ok(over, 'over_temp event');
  t.equal(over?.severity, 'critical');
  t.ok(
    b.decisions.some((d) => d.kind === 'safe'),
    'a safe command',
  );
  t.equal(b.state.engine.inhibit, 'over-temperature');
  const afterOver = b.decisions.slice(b.decisions.findIndex((d) => d.kind === 'safe'));
  t.notOk(
    afterOver.some((d) => d.kind === 'press' && d.expect === 'on'),
    'no on-press while over temperature',
  );
});

t.test('composition: a cook spec that needs an override is rejected; a Last Will is an offline event', async (t) => {
  const r = controlStep(initialControlState(), { kind: 'cook_start', spec: { targetC: 50, durationMin: 600 } }, 0);
  t.match(r.rejected?.reason, /lowTempOverride/);
  t.equal(r.state.engine.cook, null);
  const ok = controlStep(initialControlState(), { kind: 'cook_start', spec: { targetC: 50, durationMin: 600, lowTempOverride: true } }, 0);
  t.match(ok.audit, [{ action: 'low_temp_override' }]);
  t.match(ok.events, [{ type: 'heating' }]);
  const lw = controlStep(ok.state, { kind: 'status', online: false }, 1000);
  t.match(lw.events, [{ type: 'offline' }]);
});

t.test('composition: resume after restart holds the heater off until an operator confirms', async (t) => {
  const sim = new ThermalSim({ startC: 45, seed: 9 });
  const r = controlStep(
    initialControlState(),
    { kind: 'cook_resume', spec: { targetC: 60 }, lastC: 60, lastMs: sim.nowMs - 3600_000, nowC: 45 },
    sim.nowMs,
  );
  t.match(r.events, [{ type: 'resume_unsafe' }]);
  t.match(r.decision, { kind: 'safe' });
  const held = loop(sim, r.state, 120);
  t.notOk(
    held.decisions.some((d) => d.kind === 'press' && d.expect === 'on'),
    'no heating while held',
  );
  const go = controlStep(held.state, { kind: 'resume_confirm' }, sim.nowMs);
  const after = loop(sim, go.state, 120);
  t.ok(
    after.decisions.some((d) => d.kind === 'press' && d.expect === 'on'),
    'heats once confirmed',
  );
});

t.test('composition: a command the kit never got does not count as a press that happened', async (t) => {
  const sim = new ThermalSim({ seed: 4 });
  let st = controlStep(initialControlState(), { kind: 'cook_start', spec: { targetC: 60 } }, sim.nowMs).state;
  for (let s = 0; s < 10; s++) {
    sim.step(1000);
    const m = sim.telemetry();
    st = controlStep(st, { kind: 'telemetry', reading: { tempC: m.tempC, sensor: m.sensor, heater: m.heater } }, sim.nowMs).state;
  }
  t.ok(st.engine.pending, 'a press is pending');
  st = controlStep(st, { kind: 'command_failed' }, sim.nowMs).state;
  t.equal(st.engine.pending, null);
  t.equal(st.engine.health.misses, 0, 'not a servo miss');
});

t.test('fail-safe when the kit is wrong: no press (a toggle could turn it on), a safe and a critical alarm', async (t) => {
  const sim = new ThermalSim({ startC: 59, seed: 6 });
  let st = controlStep(initialControlState(), { kind: 'cook_start', spec: { targetC: 60 } }, sim.nowMs).state;
  // The engine has learned the heater is on although the kit believes it off.
  st = { ...st, engine: { ...st.engine, actual: true, lastBelief: false, pending: null, lastPressMs: sim.nowMs - 120_000 } };
  sim.heaterOn = true;
  const decisions: Decision[] = [];
  const events: string[] = [];
  for (let s = 0; s < 3; s++) {
    sim.step(1000);
    const r = controlStep(st, { kind: 'telemetry', reading: { tempC: null, sensor: 'disconnected', heater: false } }, sim.nowMs);
    st = r.state;
    events.push(...r.events.map((e) => e.type));
    if (r.decision.kind !== 'none') decisions.push(r.decision);
  }
  t.same(events, ['sensor_fault', 'heater_state_unknown']);
  t.same(
    decisions.map((d) => d.kind),
    ['safe'],
  );
  t.not(st.latch, null, 'the fail-safe is latched');
});

t.test('fail-safe with a press unconfirmed: heater state unknown is a critical alarm', async (t) => {
  const sim = new ThermalSim({ startC: 59, seed: 6 });
  let st = controlStep(initialControlState(), { kind: 'cook_start', spec: { targetC: 60 } }, sim.nowMs).state;
  const pending = {
    expect: false,
    atMs: sim.nowMs,
    fromC: 60,
    fromSlope: 0.01,
    peakSlope: 0.01,
    deadlineMs: sim.nowMs + 58_000,
    byDevice: false,
    pulled: false,
    toggled: true,
  };
  st = { ...st, engine: { ...st.engine, actual: true, lastBelief: false, pending } };
  const all: ControlEvent[] = [];
  for (let s = 0; s < 3; s++) {
    const r = controlStep(st, { kind: 'telemetry', reading: { tempC: null, sensor: 'crc', heater: false } }, sim.nowMs + s * 1000);
    st = r.state;
    all.push(...r.events);
  }
  t.match(
    all.map((e) => [e.type, e.severity]),
    [
      ['sensor_fault', 'alarm'],
      ['heater_state_unknown', 'critical'],
    ],
  );
});

t.test('every simulator fault while heating ends with the heater off (por after a reboot does not trip)', async (t) => {
  for (const kind of ['disconnected', 'crc', 'stuck', 'jump'] as const) {
    const sim = new ThermalSim({ seed: 8 });
    let st = controlStep(initialControlState(), { kind: 'cook_start', spec: { targetC: 60 } }, sim.nowMs).state;
    const before = loop(sim, st, 300);
    st = before.state;
    t.ok(sim.heaterOn, `${kind}: heating when the fault starts`);
    sim.injectFault(kind);
    const after = loop(sim, st, 200);
    const fault = after.events.find((e) => e.type === 'sensor_fault');
    t.match(fault?.data, { kind: kind === 'stuck' ? 'stuck' : kind === 'jump' ? 'jump' : kind }, `${kind}: sensor_fault`);
    t.ok(
      after.decisions.some((d) => d.kind === 'safe'),
      `${kind}: safe sent`,
    );
    t.notOk(sim.heaterOn, `${kind}: heater off`);
  }
  const sim = new ThermalSim({ seed: 8 });
  let st = controlStep(initialControlState(), { kind: 'cook_start', spec: { targetC: 60 } }, sim.nowMs).state;
  st = loop(sim, st, 300).state;
  sim.reboot();
  const r = loop(sim, st, 30);
  t.notOk(
    r.events.some((e) => e.type === 'sensor_fault'),
    'one power-on 85 °C reading is not a fault',
  );
  t.ok(
    r.events.some((e) => e.type === 'kit_rebooted'),
    'the reboot is noticed',
  );
  t.notOk(
    r.events.some((e) => e.type === 'device_press' || e.type === 'press_missed'),
    'the reset belief is not taken for a press',
  );
});
