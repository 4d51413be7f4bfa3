import t from 'tap';
import { applyLoop, type ClosedLoop, secondsLoop, startLoop, untilReachedLoop } from '../testing/closed-loop.js';
import { activeAlarms } from './alarms.js';
import { initialWatchdogState, type WatchdogContext, watchTelemetry } from './watchdog/index.js';

/**
 * A cook changed to a target below the water (65 → 55 °C on a held bath) is the cook's doing, not
 * a fault: the heater goes off and stays latched off while the water cools, with no alarm; water
 * that then rises is one. The control core against the thermal simulator in simulated time;
 * assertions on every command the kit received and every event.
 */

/** A bath held at 65 °C for ten minutes, then its cook changed to 55 °C. Returns the second of the change. */
function lowered(params: Parameters<typeof startLoop>[0], heaterOn = false): { run: ClosedLoop; changeS: number } {
  const run = startLoop(params, 65);
  untilReachedLoop(run);
  secondsLoop(run, 600);
  // The held bath's element is on at times: wait for one, when asked to.
  for (let i = 0; heaterOn && i < 3600 && !run.sim.heaterOn; i++) secondsLoop(run, 1);
  run.targetC = 55;
  applyLoop(run, { kind: 'cook_change', spec: { targetC: 55, durationMin: 240 } });
  return { run, changeS: run.sim.tMs / 1000 };
}

t.test('a target lowered below a held bath: heater off while it cools, no alarm, then held at the new target', async (t) => {
  const { run, changeS } = lowered({});
  const during: string[][] = [];
  for (let i = 0; i < 3 * 3600 && !run.events.some((e) => e.type === 'cooled'); i++) {
    secondsLoop(run, 1);
    during.push(activeAlarms(run.state));
  }
  const cooled = run.events.find((e) => e.type === 'cooled');
  t.ok(cooled, 'the water cooled under the new limit (57 °C) less 1 °C');
  const after = run.events.filter((e) => e.tS >= changeS);
  t.same(
    after.filter((e) => e.severity === 'critical' || e.severity === 'alarm').map((e) => e.type),
    [],
    'no alarm or critical event while the bath cools to a lowered target',
  );
  t.equal(after.filter((e) => e.type === 'cooling').length, 1, 'one cooling event');
  t.same(
    during.filter((a) => a.length > 0),
    [],
    'no active alarm shown while it cools',
  );
  const untilS = cooled?.tS ?? Number.POSITIVE_INFINITY;
  const sentWhileCooling = run.sent.filter((c) => c.tS >= changeS && c.tS < untilS);
  t.ok(sentWhileCooling.length >= 1 && sentWhileCooling[0]!.op === 'safe', 'safe at once');
  t.same(
    sentWhileCooling.filter((c) => c.op !== 'safe'),
    [],
    `nothing but safe while the water is over the new limit (${sentWhileCooling.length} commands)`,
  );
  t.notOk(
    run.bath.some((b) => b.tS > changeS + 5 && b.tS < untilS && b.on),
    'the heater is off from 5 s after the change until the water cooled',
  );
  t.ok(
    run.events.some((e) => e.type === 'fail_safe_released' && e.tS >= untilS),
    'the latch lets go once the water is under the limit',
  );
  secondsLoop(run, 60 * 60);
  const tail = run.bath.slice(-20 * 60);
  const worst = Math.max(...tail.map((b) => Math.abs(b.waterC - 55)));
  t.ok(worst < 0.6, `then control holds the new target (worst |error| over the last 20 min ${worst.toFixed(2)} °C)`);
  t.ok(
    run.sent.some((c) => c.tS >= untilS && c.op === 'press' && c.expect === 'on'),
    'and presses the heater on again to hold it',
  );
});

t.test('a target lowered below the water of a kit that ignores safe: over_temp (critical) once the water rises', async (t) => {
  const { run, changeS } = lowered({ behaviour: 'ignore_safe' }, true);
  secondsLoop(run, 15 * 60);
  const after = run.events.filter((e) => e.tS >= changeS);
  const cooling = after.find((e) => e.type === 'cooling');
  const over = after.find((e) => e.type === 'over_temp');
  const heaterOnAtChange = run.bath.find((b) => b.tS >= changeS)?.on === true;
  if (heaterOnAtChange) {
    t.ok(cooling, 'first taken for a cooling bath');
    t.ok(over, 'then over_temp, as the water rises with the heater on');
    t.equal(over?.severity, 'critical');
    const lowest = Math.min(...run.bath.filter((b) => b.tS >= changeS && b.tS <= (over?.tS ?? 0)).map((b) => b.waterC));
    const atOver = run.bath.find((b) => b.tS >= (over?.tS ?? 0))?.waterC ?? Number.NaN;
    t.ok(atOver - lowest < 1.6, `raised within a 1 °C rise of the probe (water ${lowest.toFixed(2)} → ${atOver.toFixed(2)} °C)`);
    t.equal(after.filter((e) => e.type === 'over_temp').length, 1, 'raised once');
    t.same(
      run.sent.filter((c) => c.tS >= changeS && c.op !== 'safe'),
      [],
      'the kit received nothing but safe',
    );
    t.same(activeAlarms(run.state).includes('over_temp'), true, 'over_temp is an active alarm');
  } else {
    t.fail('the held bath never had its heater on');
  }
});

t.test('a cook started cooler than an idle hot bath (hot tap water): cooling, not an alarm', async (t) => {
  const run = startLoop({ startC: 62 }, 62);
  applyLoop(run, { kind: 'cook_stop' });
  run.targetC = 90;
  secondsLoop(run, 30);
  run.targetC = 52;
  applyLoop(run, { kind: 'cook_start', spec: { targetC: 52, durationMin: 60 } });
  const fromS = run.sim.tMs / 1000;
  secondsLoop(run, 120);
  const after = run.events.filter((e) => e.tS >= fromS);
  t.ok(
    after.some((e) => e.type === 'cooling'),
    'cooling',
  );
  t.notOk(
    after.some((e) => e.type === 'over_temp'),
    'no over_temp',
  );
  t.same(
    run.sent.filter((c) => c.tS >= fromS).map((c) => c.op),
    ['safe'],
    'one safe (the heater was already off)',
  );
});

t.test('a bath already over the limit at its first reading is still an over-temperature', async (t) => {
  const run = startLoop({ startC: 70 }, 60);
  secondsLoop(run, 5);
  const first = run.events.find((e) => e.type === 'over_temp' || e.type === 'cooling');
  t.equal(first?.type, 'over_temp', 'nothing was seen within the limit before: over_temp');
  t.equal(first?.severity, 'critical');
});

t.test('a bath that does not cool after the target went below it (an element still on, at a level): over_temp after 15 min', async (t) => {
  // The element stuck on after a stop holds the bath at 85.8 °C (under the 90 °C limit with no
  // cook); a 60 °C cook is then started: cooling, but the water never falls.
  const idle: WatchdogContext = { cook: null, heaterCommandedOn: false };
  let s = initialWatchdogState();
  const at = (i: number) => i * 1000;
  const level = (i: number) => ({ tempC: 85.8 + (i % 3 === 0 ? 0.0625 : 0), sensor: 'ok' as const, heater: false });
  for (let i = 0; i < 60; i++) s = watchTelemetry(s, level(i), idle, at(i)).state;
  const cook: WatchdogContext = { cook: { targetC: 60 }, heaterCommandedOn: false };
  const seen: { type: string; severity: string; i: number }[] = [];
  for (let i = 60; i < 60 + 20 * 60; i++) {
    const r = watchTelemetry(s, level(i), cook, at(i));
    s = r.state;
    for (const e of r.events) seen.push({ type: e.type, severity: e.severity, i });
  }
  t.same(
    seen.map((e) => e.type),
    ['cooling', 'over_temp'],
    'cooling first, then over_temp',
  );
  const over = seen.find((e) => e.type === 'over_temp');
  t.equal(over?.severity, 'critical');
  t.ok(
    over && over.i - 60 >= 15 * 60 && over.i - 60 <= 15 * 60 + 2,
    `raised ${over ? over.i - 60 : '?'} s after the cook started: 15 min without cooling`,
  );
  t.ok(s.overTemp, 'the latch holds');
});
