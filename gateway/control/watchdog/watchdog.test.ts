import t from 'tap';
import type { SensorState } from '../../../shared/protocol/messages.js';
import { DEFAULT_WATCHDOG } from '../config.js';
import type { Reading } from '../types.js';
import {
  checkCookSpec,
  initialWatchdogState,
  maxTargetC,
  resumeCheck,
  retryOnCookChange,
  type WatchdogContext,
  type WatchdogResult,
  type WatchdogState,
  watchdogInhibit,
  watchStatus,
  watchTelemetry,
  watchTick,
} from './index.js';

const T0 = 1_763_798_400_000;
const COOK: WatchdogContext = { cook: { targetC: 60 }, heaterCommandedOn: false };
const ok = (tempC: number, heater = false): Reading => ({ tempC, sensor: 'ok', heater });
const bad = (sensor: SensorState): Reading => ({ tempC: null, sensor, heater: true });

interface Log {
  state: WatchdogState;
  results: { s: number; r: WatchdogResult }[];
}

/** Feed one reading per second (fake clock) starting at second `from`. */
function feed(state: WatchdogState, readings: Reading[], from = 0, ctx: WatchdogContext = COOK): Log {
  const log: Log = { state, results: [] };
  readings.forEach((reading, i) => {
    const r = watchTelemetry(log.state, reading, ctx, T0 + (from + i) * 1000);
    log.state = r.state;
    log.results.push({ s: from + i, r });
  });
  return log;
}

const types = (l: Log) => l.results.flatMap((x) => x.r.events.map((e) => e.type));
const safes = (l: Log) => l.results.filter((x) => x.r.decision.kind === 'safe').map((x) => x.s);
const warm = () =>
  feed(
    initialWatchdogState(),
    Array.from({ length: 5 }, () => ok(60)),
  ).state;

t.test('offline after 3 intervals without telemetry, online on return; Last Will too', async (t) => {
  const s = warm();
  t.equal(watchTick(s, T0 + 7_000).events.length, 0, '3 s of silence is still online');
  const off = watchTick(s, T0 + 7_001);
  t.match(off.events, [{ type: 'offline', severity: 'warning', safety: true }]);
  t.match(off.audit, [{ actor: 'watchdog', action: 'mark_offline' }]);
  t.equal(watchTick(off.state, T0 + 9_000).events.length, 0, 'reported once');
  const back = watchTelemetry(off.state, ok(60), COOK, T0 + 10_000);
  t.match(back.events, [{ type: 'online', severity: 'info' }]);
  const will = watchStatus(back.state, false, T0 + 11_000);
  t.match(will.events, [{ type: 'offline', data: { via: 'status' } }]);
  t.match(will.audit, [{ reason: /last will/ }]);
  t.match(watchStatus(will.state, true, T0 + 12_000).events, [{ type: 'online' }]);
});

for (const kind of ['disconnected', 'por', 'crc', 'range'] as const) {
  t.test(`sensor fault ${kind}: safe on the third bad reading, clears after three good`, async (t) => {
    const l = feed(warm(), [bad(kind), bad(kind), bad(kind), bad(kind)], 10);
    t.same(safes(l), [12], 'safe decided on the 3rd bad reading (0 s after it)');
    t.same(types(l), ['sensor_fault']);
    t.match(l.results[2]!.r.events[0], { severity: 'alarm', safety: true, data: { kind } });
    t.match(l.results[2]!.r.audit[0], { actor: 'watchdog', action: 'safe', reason: new RegExp(kind) });
    t.equal(watchdogInhibit(l.state), `sensor fault (${kind})`);
    const rec = feed(l.state, [ok(60), ok(60), ok(60.0625)], 14);
    t.same(types(rec), ['sensor_ok']);
    t.equal(watchdogInhibit(rec.state), null);
  });
}

t.test('a single power-on value after a reboot does not trip', async (t) => {
  const l = feed(warm(), [bad('por'), ok(60), ok(60), bad('crc'), ok(60)], 10);
  t.same(safes(l), []);
});

t.test('sensor "ok" with a null value is bad', async (t) => {
  const l = feed(
    warm(),
    [0, 1, 2].map(() => ({ tempC: null, sensor: 'ok' as const, heater: false })),
    10,
  );
  t.same(safes(l), [12]);
  t.match(l.results[2]!.r.events[0]!.data, { kind: 'null' });
});

t.test('stuck value: frozen 2 min while the heater is on (or 5 min in any case)', async (t) => {
  const on: WatchdogContext = { ...COOK, heaterCommandedOn: true };
  const frozen = Array.from({ length: 125 }, () => ok(55));
  const l = feed(initialWatchdogState(), frozen, 0, on);
  t.same(safes(l), [122], 'third bad reading after 120 s frozen with the heater on');
  t.match(l.results[122]!.r.events[0]!.data, { kind: 'stuck' });
  const idle = feed(
    initialWatchdogState(),
    Array.from({ length: 303 }, () => ok(55)),
    0,
    COOK,
  );
  t.same(safes(idle), [302], 'five minutes when the heater is off');
  const noCook = feed(
    initialWatchdogState(),
    Array.from({ length: 400 }, () => ok(21)),
    0,
    { cook: null, heaterCommandedOn: false },
  );
  t.same(safes(noCook), [], 'an idle bath at room temperature is not a stuck probe');
});

t.test('implausible jump: 3 readings far from the last good one', async (t) => {
  const l = feed(warm(), [ok(80), ok(80), ok(80), ok(80)], 10);
  t.same(safes(l), [12]);
  t.match(l.results[2]!.r.events[0]!.data, { kind: 'jump' });
  const stillOut = feed(l.state, [ok(80), ok(80), ok(80), ok(80)], 14);
  t.same(types(stillOut), [], 'a probe stuck at the new level does not clear itself');
  const back = feed(stillOut.state, [ok(60), ok(60), ok(60)], 18);
  t.same(types(back), ['sensor_ok'], 'clears when readings are plausible again');
  const slow = feed(
    warm(),
    Array.from({ length: 60 }, (_, i) => ok(60 + i * 0.05)),
    10,
  );
  t.same(safes(slow), [], 'a fast but physical rise is no jump');
});

t.test('over-temperature: above target + 3 °C, or above 90 °C without a cook', async (t) => {
  const l = feed(warm(), [ok(62.9), ok(63.0625), ok(63.5)], 10);
  t.same(safes(l), [11]);
  t.match(l.results[1]!.r.events[0], { type: 'over_temp', severity: 'critical', safety: true, data: { limitC: 63 } });
  t.match(l.results[1]!.r.audit[0], { action: 'safe', reason: /over-temperature/ });
  t.equal(watchdogInhibit(l.state), 'over-temperature');
  // A bath cools no faster than 0.02 °C/s: 1.6 °C takes it more than a minute.
  const cleared = feed(l.state, [ok(61.9)], 100);
  t.same(types(cleared), ['over_temp_cleared']);
  const idle: WatchdogContext = { cook: null, heaterCommandedOn: false };
  const abs = feed(initialWatchdogState(), [ok(89), ok(89.5), ok(90.0625)], 0, idle);
  t.same(safes(abs), [2], 'absolute limit 90 °C');
  const hot = feed(initialWatchdogState(), [ok(89), ok(89.5), ok(90.0625)], 0, { cook: { targetC: 88 }, heaterCommandedOn: false });
  t.same(safes(hot), [2], 'the absolute limit caps target + 3');
});

t.test('an over-temperature carried over a restart: the first reading ends it, or trips it again as the same alarm', async (t) => {
  const carried = (): WatchdogState => ({ ...initialWatchdogState(), overTempCarried: 'ev-before', overTempCarriedTold: true });
  const idle: WatchdogContext = { cook: null, heaterCommandedOn: false };
  const cool = feed(carried(), [ok(40), ok(40)], 0, idle);
  t.same(types(cool), ['over_temp_cleared'], 'cooled while the gateway was down: its end, once');
  t.same(safes(cool), []);
  t.equal(cool.state.overTempCarried, null);
  const hot = feed(carried(), [ok(97), ok(97)], 0, idle);
  t.same(types(hot), ['over_temp'], 'still too hot: it trips again, once');
  t.same(safes(hot), [0], 'the heater switched off, as at any trip');
  t.match(hot.results[0]!.r.events[0], {
    type: 'over_temp',
    severity: 'critical',
    data: { tempC: 97, limitC: 90, continues: 'ev-before' },
  });
  t.same(types(feed(hot.state, [ok(40)], 100, idle)), ['over_temp_cleared'], 'and ends as any over-temperature');
  const band = feed(carried(), [ok(89.5)], 0, idle);
  t.same(types(band), [], 'within the hysteresis: not judged yet');
  t.equal(band.state.overTempCarried, 'ev-before');
  const untold = feed({ ...carried(), overTempCarriedTold: false }, [ok(97)], 0, idle);
  t.notOk(
    'continues' in (untold.results[0]!.r.events[0]?.data ?? {}),
    'an alarm told to nobody is not continued: a new one, which notifies',
  );
  t.same(safes(untold), [0]);
  const fresh = feed(initialWatchdogState(), [ok(97)], 0, idle);
  t.notOk('continues' in (fresh.results[0]!.r.events[0]?.data ?? {}), 'a new alarm continues nothing');
});

t.test('heater stuck: commanded on 5 min with no rise → the heater is switched off and held off', async (t) => {
  const on: WatchdogContext = { ...COOK, heaterCommandedOn: true };
  const off: WatchdogContext = { ...COOK, heaterCommandedOn: false };
  const flat = Array.from({ length: 320 }, (_, i) => ok(i % 2 === 0 ? 40 : 40.0625));
  const l = feed(initialWatchdogState(), flat, 0, on);
  const alarms = l.results.filter((x) => x.r.events.some((e) => e.type === 'heater_stuck'));
  t.same(
    alarms.map((x) => x.s),
    [300],
    'once',
  );
  t.match(alarms[0]!.r.events[0], { severity: 'alarm', safety: true });
  t.match(
    alarms[0]!.r.decision,
    { kind: 'safe' },
    'the heater is switched off: pressing on into a bath the probe does not see is what must stop',
  );
  t.equal(watchdogInhibit(l.state), 'heater on, water not warming');
  const stillFlat = feed(
    l.state,
    Array.from({ length: 600 }, (_, i) => ok(i % 2 === 0 ? 40 : 40.0625)),
    320,
    off,
  );
  t.same(types(stillFlat), [], 'held off with the heater off: no release while the probe reads the same');
  t.equal(watchdogInhibit(stillFlat.state), 'heater on, water not warming');
  const back = feed(stillFlat.state, [ok(40.0625), ok(40.3)], 920, off);
  t.same(types(back), ['heater_ok'], 'released when the probe sees warmer water (back in the bath)');
  t.equal(watchdogInhibit(back.state), null);
  t.same(retryOnCookChange(stillFlat.state, 920_000).stuckAlarmed, false, 'or when the cook is changed, restarted or stopped');
  const rising = feed(
    initialWatchdogState(),
    Array.from({ length: 320 }, (_, i) => ok(40 + i * 0.01)),
    0,
    on,
  );
  t.notOk(types(rising).includes('heater_stuck'));
  // Within 5 °C of the target the probe is in hot water: an alarm, the heater not held off.
  const hot = feed(
    initialWatchdogState(),
    Array.from({ length: 320 }, (_, i) => ok(i % 2 === 0 ? 57 : 57.0625)),
    0,
    on,
  );
  const hotTrip = hot.results.find((x) => x.r.events.some((e) => e.type === 'heater_stuck'));
  t.match(hotTrip?.r.events[0], { type: 'heater_stuck', data: { held: false } }, 'in hot water: the alarm alone');
  t.same(hotTrip?.r.decision, { kind: 'none' }, 'no safe: holding the heater off would only let the bath cool');
  t.equal(watchdogInhibit(hot.state), null);
  const hotOff = feed(hot.state, [ok(57)], 320, off);
  t.equal(hotOff.state.stuckAlarmed, false, 'and the alarm ends when the heater goes off');
  // A long heat-up that rose for 10 min, then a probe that reads the air: caught 5 min after the
  // last rise (the window starts again at each rise), not never.
  const heatUp = Array.from({ length: 600 }, (_, i) => ok(30 + i * 0.02));
  const thenFlat = Array.from({ length: 400 }, (_, i) => ok(i % 2 === 0 ? 41.9375 : 42));
  const long = feed(initialWatchdogState(), [...heatUp, ...thenFlat], 0, on);
  const trip = long.results.find((x) => x.r.events.some((e) => e.type === 'heater_stuck'));
  t.ok(trip && trip.s >= 600 + 280 && trip.s <= 600 + 310, `tripped 5 min after the last rise (at ${trip?.s} s)`);
});

t.test('fall: a probe out of the water falls faster than a bath can cool', async (t) => {
  const hold = Array.from({ length: 120 }, (_, i) => ok(60 + (i % 2) * 0.0625));
  const base = feed(initialWatchdogState(), hold, 0);
  // Out of the water: the wet probe follows the air (20 °C) with a 60 s time constant.
  const air = Array.from({ length: 30 }, (_, i) => ok(20 + 40 * Math.exp(-(i + 1) / 60)));
  const out = feed(base.state, air, 120);
  const trip = out.results.find((x) => x.r.decision.kind === 'safe');
  t.ok(trip && trip.s <= 130, `heater off within 10 s (at ${trip?.s} s)`);
  t.match(trip?.r.events[0], { type: 'sensor_fault', data: { kind: 'fall' } });
  t.equal(watchdogInhibit(out.state), 'sensor fault (fall)');
  // A bath cooling as fast as a bath can (an open pot, heater off) is no fall.
  const cooling = feed(
    base.state,
    Array.from({ length: 900 }, (_, i) => ok(60 - i * 0.018)),
    120,
  );
  t.same(types(cooling), [], 'a bath cooling at 0.018 °C/s for 15 min');
  // A cold spot (food just added) dips a reading or two by a degree.
  const dip = feed(base.state, [ok(59), ok(59.2), ok(59.8), ok(60)], 120);
  t.same(types(dip), [], 'a one-degree dip');
  // A kit silent for 20 min (lid off, bath cooled fast): nothing is known of the gap, no fall.
  const gap = feed(base.state, [ok(40), ok(40), ok(40)], 120 + 20 * 60);
  t.same(types(gap), [], 'after a gap in the readings the first one starts a new window');
  // Back in the water before the bath cooled much: plausible again, cleared.
  const back = feed(out.state, [ok(59.5), ok(59.5), ok(59.5)], 200);
  t.same(types(back), ['sensor_ok']);
  const again = feed(
    back.state,
    Array.from({ length: 60 }, () => ok(59.5)),
    203,
  );
  t.same(types(again), [], 'the recent high starts again after the fault: no second trip at the same level');
});

t.test(
  'heat-up fall: early in a heat-up a dip the heater does not answer is a fall; water that answers carries on (ADR 060)',
  async (t) => {
    // heatCPerS: what the engine learned of the ramp (the watchdog also measures the ramp itself).
    const heating: WatchdogContext = { cook: { targetC: 56 }, heaterCommandedOn: true, heatCPerS: 0.03 };
    const q = (c: number) => Math.round(c / 0.0625) * 0.0625;
    // 3 min of heat-up from 20 °C at 0.03 °C/s, to 25.4 °C, as the DS18B20 reads it.
    const ramp = Array.from({ length: 180 }, (_, i) => ok(q(20 + 0.03 * i), true));
    const base = feed(initialWatchdogState(), ramp, 0, heating);
    t.same(types(base), [], 'a heat-up raises nothing');
    // The probe slips into air with half the bath's excess over the room, through its 60 s lag.
    const airC = (i: number) => 20 + 0.5 * (25.4 + 0.03 * i - 20);
    const slip = Array.from({ length: 240 }, (_, i) => ok(q(airC(i) + (25.4 - airC(0)) * Math.exp(-(i + 1) / 60)), true));
    const out = feed(base.state, slip, 180, heating);
    const watching = out.results.find((x) => x.r.state.dipSinceMs !== null);
    t.ok(watching && watching.s - 180 <= 30, `the dip is watched within 30 s of the slip (at ${watching ? watching.s - 180 : '–'} s)`);
    t.match(watchdogInhibit(watching!.r.state), /watching whether it answers the heater/, 'the engine presses nothing meanwhile');
    t.equal(watching!.r.decision.kind, 'none', 'and the heater stays on: no safe yet');
    const trip = out.results.find((x) => x.r.decision.kind === 'safe');
    t.ok(
      trip && trip.s - watching!.s === 120,
      `a fall once the air did not rise as heated water does for 120 s (at ${trip ? trip.s - 180 : '–'} s)`,
    );
    t.match(trip?.r.events[0], { type: 'sensor_fault', data: { kind: 'fall', heatUp: true } });
    t.ok(25.4 - Math.min(...slip.map((r) => r.tempC as number)) < 3, "a dip far less than the fall rule's 3 °C");
    t.equal(watchdogInhibit(out.state), 'sensor fault (fall)');
    // Cold water poured in: the water drops 0.9 °C within the probe's lag, then rises again at 0.9 ×
    // the heating rate (the heater still on, more water to heat). The heat-up carries on.
    const pour = Array.from({ length: 240 }, (_, i) => {
      const water = 24.5 + 0.027 * i;
      return ok(q(water + (25.4 - 24.5) * Math.exp(-(i + 1) / 8) * (1 - 0.027 * 8)), true);
    });
    const poured = feed(base.state, pour, 180, heating);
    t.ok(
      poured.results.some((x) => x.r.state.dipSinceMs !== null),
      'the pour is watched',
    );
    t.same(types(poured), [], 'and the water answering the heater ends the watch: no fault');
    t.equal(watchdogInhibit(poured.state), null, 'the engine is free again');
    // The heater went off by itself (a press nobody sent): the bath cools at its own rate, slowly
    // this close to the room. No dip (the heater-stuck rule has it after 5 min of no warming).
    const selfOff = feed(
      base.state,
      Array.from({ length: 280 }, (_, i) => ok(q(25.4 - 0.002 * i), true)),
      180,
      heating,
    );
    t.ok(
      selfOff.results.every((x) => x.r.state.dipSinceMs === null) && types(selfOff).length === 0,
      'a bath cooling at 0.12 °C/min for 280 s, 5 °C over the room',
    );
    // Only a heater that ran: within the first 90 s, or with no rise seen yet, nothing is armed.
    const early = feed(initialWatchdogState(), [...ramp.slice(0, 60), ...Array.from({ length: 30 }, () => ok(20.6, true))], 0, heating);
    t.ok(
      early.results.every((x) => x.r.state.dipSinceMs === null),
      'a dip within the first 90 s of heating',
    );
    // Not once the cook reached its target (the water test and the held bath's rules have it), nor
    // more than 15 °C up the heat-up (a probe in the air falls the fall rule's 3 °C there).
    const reached = feed(base.state, slip, 180, { ...heating, reached: true });
    t.same(types(reached), [], 'a held bath');
    const high = feed(
      initialWatchdogState(),
      Array.from({ length: 700 }, (_, i) => ok(q(20 + 0.03 * i), true)),
      0,
      heating,
    );
    const dip = feed(
      high.state,
      Array.from({ length: 200 }, (_, i) => ok(q(20 + 0.03 * 699 - 1) + (i % 2) * 0.0625, true)),
      700,
      heating,
    );
    t.same(types(dip), [], 'a degree of dip 21 °C up the heat-up');
    // Without the heater commanded on it is no heat-up.
    const off = feed(base.state, slip, 180, { ...heating, heaterCommandedOn: false });
    t.same(types(off), [], 'heater off');
  },
);

t.test('fall: a slow rise in the air is not the probe back in the water, and a probe that keeps warming is alarmed', async (t) => {
  const hold = Array.from({ length: 120 }, (_, i) => ok(80 + (i % 2) * 0.0625));
  const base = feed(initialWatchdogState(), hold, 0);
  // Out of the water into air at 60 °C that follows the bath (k 0.5), 60 s lag: tripped.
  const fallen = feed(
    base.state,
    Array.from({ length: 300 }, (_, i) => ok(60 + 20 * Math.exp(-(i + 1) / 60))),
    120,
  );
  t.equal(watchdogInhibit(fallen.state), 'sensor fault (fall)');
  t.notOk(types(fallen).includes('heater_state_unknown'), 'the first window (the coast, the probe settling) is not judged');
  // A `safe` that missed: the bath heats at 0.026 °C/s and the air above it at half that.
  const learned: WatchdogContext = { ...COOK, cook: { targetC: 80 }, heatCPerS: 0.026 };
  const last = 60 + 20 * Math.exp(-300 / 60);
  const warming = feed(
    fallen.state,
    Array.from({ length: 900 }, (_, i) => ok(last + 0.013 * (i + 1))),
    420,
    learned,
  );
  t.notOk(types(warming).includes('sensor_ok'), 'air rising 11.7 °C at half the heating rate does not clear the fault');
  t.equal(watchdogInhibit(warming.state), 'sensor fault (fall)');
  const alarms = warming.results.filter((x) => x.r.events.some((e) => e.type === 'heater_state_unknown'));
  t.equal(alarms.length, 1, 'alarmed once');
  t.match(alarms[0]?.r.events[0], { severity: 'critical', data: { probe: 'out_of_water', overMin: 3 } });
  // Windows of 3 min from the fault (at 123 s): the one ending at 483 s still held the settling.
  t.ok(alarms[0]!.s <= 420 + 2 * 180 + 10, `within two windows of the warming (at ${alarms[0]?.s} s)`);
  t.same(alarms[0]?.r.decision, { kind: 'none' }, 'an alarm, no press: the warmth may come from elsewhere');
  // The same rise in water its heater still heats (the bath's own rate) is the probe in the water.
  const inWater = feed(
    fallen.state,
    Array.from({ length: 300 }, (_, i) => ok(last + 0.024 * (i + 1))),
    420,
    learned,
  );
  t.ok(types(inWater).includes('sensor_ok'), 'a rise at the heating rate clears the fault');
  // Without a learned heating rate only a fast rise counts.
  const unlearned = feed(
    fallen.state,
    Array.from({ length: 300 }, (_, i) => ok(last + 0.024 * (i + 1))),
    420,
  );
  t.notOk(types(unlearned).includes('sensor_ok'), 'not learned: the slow rise does not clear it');
  const putBack = feed(
    fallen.state,
    Array.from({ length: 20 }, (_, i) => ok(78 - (78 - last) * Math.exp(-(i + 1) / 8))),
    420,
  );
  t.ok(types(putBack).includes('sensor_ok'), 'put back in 78 °C water: cleared within seconds');
  // Heater off: the bath and its air cool, no alarm for three hours.
  const cooling = feed(
    fallen.state,
    Array.from({ length: 3 * 3600 }, (_, i) => ok(last - 0.002 * (i + 1))),
    420,
    learned,
  );
  t.same(types(cooling), [], 'cooling air: nothing');
});

t.test('fall: a reading hotter than the water was before the fall, and over the target, lets go at any rate (ADR 061)', async (t) => {
  const hold = Array.from({ length: 120 }, (_, i) => ok(80 + (i % 2) * 0.0625));
  const base = feed(initialWatchdogState(), hold, 0);
  const fallen = feed(
    base.state,
    Array.from({ length: 60 }, (_, i) => ok(80 - 0.1 * (i + 1))),
    120,
  );
  t.equal(watchdogInhibit(fallen.state), 'sensor fault (fall)');
  // The water comes back up slower than the learned heating rate (cold food takes its share):
  // not water by its rate, and held while it climbs back to the old high.
  const learned: WatchdogContext = { ...COOK, cook: { targetC: 80 }, heatCPerS: 0.04 };
  const climb = (n: number, from: number) =>
    Array.from({ length: n }, (_, i) => ok(Math.round((74 + 0.02 * (from + i + 1)) / 0.0625) * 0.0625));
  const toHigh = feed(fallen.state, climb(320, 0), 180, learned);
  t.notOk(types(toHigh).includes('sensor_ok'), 'up to 80.4 °C, within a degree of the old high: held');
  // Past 81 °C (the high before the fall and the target, + 1 °C): hot water, whatever its rate.
  const past = feed(toHigh.state, climb(60, 320), 500, learned);
  const ok3 = past.results.find((x) => x.r.events.some((e) => e.type === 'sensor_ok'));
  t.ok(ok3, 'the fault lets go');
  t.ok(ok3 && (past.results[0]!.r.state.fallRefC ?? 0) <= 80.0625, 'judged against the high before the fall, which held still');
  t.equal(watchdogInhibit(past.state), null, 'the engine and the over-temperature rule have the bath again');
});

t.test('food safety: 2 h in the danger zone alerts, 4 h alarms; an override turns the alarm into a warning', async (t) => {
  const minute = (s: WatchdogState, c: number, ctx: WatchdogContext, fromMin: number, mins: number) => {
    const out: string[] = [];
    for (let m = 0; m < mins; m++) {
      const r = watchTelemetry(s, ok(c + (m % 2) * 0.0625), ctx, T0 + (fromMin + m) * 60_000);
      s = r.state;
      out.push(...r.events.map((e) => `${fromMin + m}:${e.type}`));
    }
    return { s, out };
  };
  const low: WatchdogContext = { cook: { targetC: 52 }, heaterCommandedOn: false };
  const a = minute(initialWatchdogState(), 52, low, 0, 250);
  t.same(a.out, ['120:food_safety_alert', '240:food_safety_alarm']);
  const ov = minute(initialWatchdogState(), 52, { cook: { targetC: 52, lowTempOverride: true }, heaterCommandedOn: false }, 0, 250);
  t.same(ov.out, ['120:food_safety_alert', '240:food_safety_override']);
  const safe = minute(initialWatchdogState(), 60, COOK, 0, 300);
  t.same(safe.out, [], 'above 54.4 °C nothing accumulates');
  const noCook = minute(initialWatchdogState(), 30, { cook: null, heaterCommandedOn: false }, 0, 300);
  t.same(noCook.out, [], 'only during a cook');
});

t.test('a cook below 54.4 °C longer than 4 h needs an explicit override, which is audited', async (t) => {
  t.match(checkCookSpec({ targetC: 52, durationMin: 300 }), { ok: false, reason: /lowTempOverride/ });
  t.match(checkCookSpec({ targetC: 52 }), { ok: false }, 'no timer counts as unbounded');
  t.same(checkCookSpec({ targetC: 52, durationMin: 180 }), { ok: true, audit: [] });
  t.same(checkCookSpec({ targetC: 60 }), { ok: true, audit: [] });
  const o = checkCookSpec({ targetC: 52, durationMin: 600, lowTempOverride: true });
  t.match(o, { ok: true, audit: [{ action: 'low_temp_override' }] });
});

t.test('the highest target is the absolute limit less the overshoot margin, for the limit the gateway is given', async (t) => {
  t.equal(maxTargetC(), 87, 'the defaults: 90 °C less 3 °C');
  t.same(checkCookSpec({ targetC: 87 }), { ok: true, audit: [] });
  t.match(checkCookSpec({ targetC: 87.5 }), { ok: false, field: 'targetC', reason: /at most 87 °C.*control\.maxC 90 °C/ });
  const low = { ...DEFAULT_WATCHDOG, absoluteMaxC: 60 };
  t.same(checkCookSpec({ targetC: 57 }, low), { ok: true, audit: [] });
  t.match(checkCookSpec({ targetC: 58 }, low), { ok: false, field: 'targetC', reason: /at most 57 °C/ });
  t.match(
    checkCookSpec({ targetC: 52, durationMin: 300 }),
    { ok: false, field: 'lowTempOverride' },
    'the food-safety rule names its own field',
  );
});

t.test('after a restart: a bath that fell below 54.4 °C alarms and holds; one that stayed hot resumes', async (t) => {
  const held = resumeCheck({ spec: { targetC: 60 }, lastC: 60, lastMs: T0, nowC: 45 }, T0 + 3600_000);
  t.equal(held.resume, false);
  t.match(held.decision, { kind: 'safe' });
  t.match(held.events, [{ type: 'resume_unsafe', severity: 'alarm', safety: true }]);
  t.match(held.audit, [{ action: 'hold_resume' }]);
  t.equal(held.downDangerMs, 3600_000, 'the downtime counts toward the danger zone');
  const ok2 = resumeCheck({ spec: { targetC: 60 }, lastC: 60, lastMs: T0, nowC: 58 }, T0 + 600_000);
  t.equal(ok2.resume, true);
  t.match(ok2.events, [{ type: 'resumed' }]);
  t.equal(ok2.downDangerMs, 0);
});

t.test('heater stuck after presses the probe could not see: the safe waits for a count that switches the heater off', async (t) => {
  // ADR 056: the kit believes on; if every press took, the heater is on only when `heaterIfAllTook`
  // says so. A `safe` at the other count would switch a heater that is off on.
  const flat = (n: number) => Array.from({ length: n }, (_, i) => ok(i % 2 === 0 ? 40 : 40.0625));
  const even: WatchdogContext = { ...COOK, heaterCommandedOn: true, heaterIfAllTook: false };
  const odd: WatchdogContext = { ...even, heaterIfAllTook: true };
  const waiting = feed(initialWatchdogState(), flat(330), 0, even);
  t.same(types(waiting), [], 'at 5 min on an even count: no alarm and no safe yet');
  const pressed = feed(waiting.state, flat(5), 330, odd);
  t.same(safes(pressed), [330], 'the engine pressed again (odd count): the safe goes at once');
  t.match(pressed.results[0]!.r.events[0], { type: 'heater_stuck', data: { held: true } });
  t.notOk('pressed' in (pressed.results[0]!.r.events[0]!.data ?? {}), 'a safe was sent');
  const never = feed(initialWatchdogState(), flat(610), 0, even);
  const trip = never.results.filter((x) => x.r.events.some((e) => e.type === 'heater_stuck'));
  t.same(
    trip.map((x) => x.s),
    [600],
    'no press in another 5 min: the alarm at 10 min',
  );
  t.equal(trip[0]!.r.decision.kind, 'none', 'with no safe: by the count the heater is already off');
  t.match(trip[0]!.r.events[0], { data: { held: true, pressed: false } });
  t.equal(watchdogInhibit(never.state), 'heater on, water not warming', 'and held off');
  const hot = feed(
    initialWatchdogState(),
    Array.from({ length: 310 }, (_, i) => ok(i % 2 === 0 ? 58 : 58.0625)),
    0,
    even,
  );
  t.match(
    hot.results.find((x) => x.r.events.some((e) => e.type === 'heater_stuck'))?.r.events[0],
    { data: { held: false } },
    'within 5 °C of the target nothing waits: the alarm alone at 5 min, as before',
  );
});

t.test('a passed water test is withdrawn when the presses after it look missed (ADR 058)', async (t) => {
  // A state just after a pass, and a first reading with no miss since: the fall fault is over,
  // the pass is in doubt for 30 min.
  const passed = (): WatchdogState => feed({ ...warm(), waterPassedMs: T0 }, [ok(60)], 9, { ...COOK, pressMisses: 0 }).state;
  const hold = (i: number) => ok(i % 2 === 0 ? 60 : 60.0625);
  const steady = (n: number) => Array.from({ length: n }, (_, i) => hold(i));
  const missed: WatchdogContext = { ...COOK, pressMisses: 3, kitBelief: true, countSinceFault: true, heaterIfAllTook: false };

  const agree = feed(passed(), steady(3), 10, missed);
  t.same(safes(agree), [10], 'three misses in a row, and the kit believes on where the count says on: `safe` at once');
  t.match(agree.results[0]!.r.events[0], {
    type: 'water_test_failed',
    severity: 'alarm',
    data: { heated: true, withdrawn: true, misses: 3 },
  });
  t.notOk('pressed' in (agree.results[0]!.r.events[0]!.data ?? {}), 'a safe was sent');
  t.equal(watchdogInhibit(agree.state), 'probe not in the water: the presses did not show in it', 'and the heater is held off');
  t.equal(types(feed(agree.state, steady(600), 13, missed)).length, 0, 'withdrawn once: no second alarm');

  // The count since the fault decides, not `ifAllTook`, which a probe in warm air resets by "confirming" presses.
  const wrongWay: WatchdogContext = { ...missed, kitBelief: true, countSinceFault: false, heaterIfAllTook: true };
  const waiting = feed(passed(), steady(290), 10, wrongWay);
  t.same(types(waiting), [], 'the kit believes on where the count says off: a `safe` would switch the heater on, so it waits');
  const nextPress = feed(waiting.state, steady(2), 300, { ...wrongWay, kitBelief: false });
  t.same(safes(nextPress), [300], "the engine's next press makes them agree: withdrawn then");
  const never = feed(passed(), steady(320), 10, wrongWay);
  const trip = never.results.filter((x) => x.r.events.some((e) => e.type === 'water_test_failed'));
  t.same(
    trip.map((x) => x.s),
    [310],
    'no press within 5 min: withdrawn without one',
  );
  t.equal(trip[0]!.r.decision.kind, 'none', 'no safe: by the count the heater is already off');
  t.match(trip[0]!.r.events[0], { data: { withdrawn: true, pressed: false } });
  t.not(watchdogInhibit(never.state), null, 'held off all the same');

  t.same(types(feed(passed(), steady(5), 10, { ...missed, pressMisses: 2 })), [], 'two misses are not enough');
  const before = feed({ ...warm(), waterPassedMs: T0 }, [ok(60)], 9, { ...COOK, pressMisses: 2 }).state;
  t.same(types(feed(before, steady(5), 10, { ...missed, pressMisses: 4 })), [], 'misses from before the pass do not count');
  t.same(safes(feed(before, steady(2), 10, { ...missed, pressMisses: 5 })), [10], 'three after it do');
  const confirmed = feed(before, [hold(0)], 10, { ...missed, pressMisses: 0 }).state;
  t.same(safes(feed(confirmed, steady(2), 11, missed)), [11], 'a confirmed press starts the count again from none');
  const late = feed(passed(), steady(3), 30 * 60 + 1, missed);
  t.same(types(late), [], 'after 30 min the pass stands');
  t.equal(late.state.waterPassedMs, null, 'and is no longer in doubt');

  const changed = retryOnCookChange(agree.state, T0 + 20_000);
  t.equal(watchdogInhibit(changed), null, "a changed cook is the operator's word: the hold lets go");
  t.equal(changed.waterPassedMs, null);
});
