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
