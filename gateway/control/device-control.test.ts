import t from 'tap';
import { controlStep, type DeviceControlState, initialControlState } from './device-control.js';

/** The 1 s watchdog tick through controlStep: a tick that changes nothing copies nothing. */
const T0 = 1_700_000_000_000;

function reported(): DeviceControlState {
  const s = initialControlState();
  return controlStep(s, { kind: 'telemetry', reading: { tempC: 21.5, sensor: 'ok', heater: false, boot: 1 } }, T0).state;
}

t.test('a tick with nothing to do returns the same state, untouched', async (t) => {
  const s = reported();
  const before = JSON.stringify(s);
  const r = controlStep(s, { kind: 'tick' }, T0 + 1000);
  t.equal(r.state, s, 'the very same object: no copy per device per second');
  t.equal(JSON.stringify(r.state), before);
  t.equal(r.decision.kind, 'none');
  t.same(r.events, []);
  t.same(r.audit, []);
});

t.test('a tick after the offline interval marks the kit offline on a new state; the old one is unchanged', async (t) => {
  const s = reported();
  const r = controlStep(s, { kind: 'tick' }, T0 + 10_000);
  t.not(r.state, s);
  t.equal(r.state.watchdog.online, false);
  t.equal(s.watchdog.online, true, 'the state passed in is a value: not mutated');
  t.same(
    r.events.map((e) => e.type),
    ['offline'],
  );
});

t.test('a tick still brings a stale engine inhibit in line with the watchdog (as before the shortcut)', async (t) => {
  const s = reported();
  const stale: DeviceControlState = { ...s, watchdog: { ...s.watchdog, overTemp: true } };
  t.equal(stale.engine.inhibit, null);
  const r = controlStep(stale, { kind: 'tick' }, T0 + 1000);
  t.not(r.state, stale);
  t.equal(r.state.engine.inhibit, 'over-temperature');
  t.equal(stale.engine.inhibit, null);
});

/**
 * The rules work on one copy of each state and write into it (copyWatchdogState,
 * copyEngineState): the state a step is given must come out as it went in, on every path a cook
 * takes. A rule writing into the state it was given fails here.
 */
t.test('every step leaves the state it was given as it was: heating, holding, a sensor fault, over-temperature', async (t) => {
  let s = controlStep(initialControlState(), { kind: 'cook_start', spec: { targetC: 60 } }, T0).state;
  let bathC = 40;
  let heater = false;
  const seen = new Set<string>();
  let steps = 0;
  let changed = 0;
  const probe = (i: number): { tempC: number | null; sensor: 'ok' | 'disconnected' } => {
    if (i >= 1500 && i < 1504) return { tempC: null, sensor: 'disconnected' };
    return { tempC: Math.round(bathC * 16) / 16, sensor: 'ok' };
  };
  for (let i = 1; i <= 2000; i++) {
    // From 1,700 s on the cooker heats whatever it is told (a stuck element): over-temperature.
    bathC += heater || (i >= 1700 && i < 1850) ? 0.05 : -0.01;
    const now = T0 + i * 1000;
    const input = i % 7 === 0 ? { kind: 'tick' as const } : { kind: 'telemetry' as const, reading: { ...probe(i), heater, boot: 1 } };
    const before = JSON.stringify(s);
    const r = controlStep(s, input, now);
    steps++;
    if (JSON.stringify(s) !== before) changed++;
    for (const e of r.events) seen.add(e.type);
    if (r.decision.kind === 'press') heater = r.decision.expect === 'on';
    if (r.decision.kind === 'safe') heater = false;
    s = r.state;
  }
  t.equal(changed, 0, `none of the ${steps} states given to a step was changed by it`);
  for (const type of ['reached', 'sensor_fault', 'sensor_ok', 'over_temp']) t.ok(seen.has(type), `the run went through ${type}`);
});
