import t from 'tap';
import { applyLoop, type ClosedLoop, secondsLoop, startLoop, untilReachedLoop } from '../testing/closed-loop.js';
import { activeAlarms } from './alarms.js';

/**
 * A kit whose heater flag flips at every reading with nothing pressed (a firmware or wiring fault)
 * makes each reading an unexplained press that the engine must see answered before it presses
 * again. Control then presses nothing, which is right (a press toggles a heater nobody can see),
 * but a person must hear of it: `kit_flapping`, once, and `kit_steady` when it is over. The control
 * core against the thermal simulator in simulated time; assertions on every command and event.
 */

/** `n` seconds in which the kit's reported heater flag flips every `everyS` seconds, whatever the heater does. */
function flappingSeconds(run: ClosedLoop, n: number, everyS = 1): void {
  for (let i = 0; i < n; i++) {
    run.acks.step(run.sim, 1000, (ack) => applyLoop(run, ack));
    const m = run.sim.telemetry();
    const heater = Math.floor(run.sim.tMs / 1000 / everyS) % 2 === 0;
    applyLoop(run, { kind: 'telemetry', reading: { tempC: m.tempC, sensor: m.sensor, heater, boot: m.boot } });
    applyLoop(run, { kind: 'tick' });
    run.bath.push({ tS: run.sim.tMs / 1000, waterC: run.sim.waterC, on: run.sim.heaterOn, limitC: run.targetC + 3, probeOut: false });
  }
}

t.test('a kit whose heater flag flaps: one alarm, no presses meanwhile, and control back once it is steady', async (t) => {
  const run = startLoop({}, 60);
  untilReachedLoop(run);
  secondsLoop(run, 600);
  const fromS = run.sim.tMs / 1000;
  const sentBefore = run.sent.length;
  flappingSeconds(run, 10 * 60);
  const steadyFromS = run.sim.tMs / 1000;
  const flapping = run.events.filter((e) => e.type === 'kit_flapping');
  t.equal(flapping.length, 1, 'kit_flapping raised once in ten minutes of flapping');
  t.equal(flapping[0]?.severity, 'alarm');
  t.ok(flapping[0] && flapping[0].tS - fromS <= 10, `within ${flapping[0] ? flapping[0].tS - fromS : '?'} s of the first flip`);
  t.same(activeAlarms(run.state).includes('kit_flapping'), true, 'an active alarm while it flaps');
  const pressesWhileFlapping = run.sent.slice(sentBefore).filter((c) => c.op === 'press' && c.tS > fromS + 5);
  t.same(pressesWhileFlapping, [], 'no press while the flag flaps');
  secondsLoop(run, 30 * 60);
  const steady = run.events.filter((e) => e.type === 'kit_steady');
  t.equal(steady.length, 1, 'kit_steady once');
  t.ok(steady[0] && steady[0].tS - steadyFromS >= 600 && steady[0].tS - steadyFromS <= 605, 'ten minutes after the last flip');
  t.same(activeAlarms(run.state).includes('kit_flapping'), false, 'no longer an active alarm');
  const tail = run.bath.slice(-10 * 60);
  const worst = Math.max(...tail.map((b) => Math.abs(b.waterC - 60)));
  t.ok(worst < 0.6, `control holds the target again (worst |error| over the last 10 min ${worst.toFixed(2)} °C)`);
});

t.test('a person pressing the kit by hand now and then is no flapping', async (t) => {
  const run = startLoop({}, 60);
  untilReachedLoop(run);
  // Three unexplained changes a minute apart: each one a press a person made.
  for (let k = 0; k < 3; k++) {
    secondsLoop(run, 60);
    run.sim.command({ op: 'press', expect: run.sim.heaterOn ? 'off' : 'on' });
  }
  secondsLoop(run, 300);
  const selfPresses = run.events.filter((e) => e.type === 'device_press').length;
  t.ok(selfPresses >= 3, `the engine saw the presses it did not make (${selfPresses})`);
  t.equal(run.events.filter((e) => e.type === 'kit_flapping').length, 0, 'no kit_flapping');
});

for (const everyS of [17, 25, 40, 90]) {
  t.test(`a flag that flips every ${everyS} s is flapping too (6 changes in 10 min): one alarm, no repeat while it goes on`, async (t) => {
    const run = startLoop({}, 60);
    untilReachedLoop(run);
    secondsLoop(run, 600);
    const fromS = run.sim.tMs / 1000;
    flappingSeconds(run, 60 * 60, everyS);
    const flapping = run.events.filter((e) => e.type === 'kit_flapping' && e.tS >= fromS);
    t.equal(flapping.length, 1, 'kit_flapping once in an hour of it');
    t.ok(
      flapping[0] && flapping[0].tS - fromS <= 6 * everyS + 5,
      `raised ${flapping[0] ? flapping[0].tS - fromS : '?'} s after the flips began`,
    );
    t.equal(run.events.filter((e) => e.type === 'kit_steady' && e.tS >= fromS).length, 0, 'not told over while it goes on');
    // Control is held back while the flag flaps; the over-temperature rule is the backstop.
    const over = run.bath.find((b) => b.tS >= fromS && b.waterC > b.limitC + 0.5);
    if (over)
      t.ok(
        run.events.some((e) => e.type === 'over_temp' && e.tS >= fromS),
        `the bath passed its limit (${over.waterC.toFixed(2)} °C): over_temp`,
      );
    else t.pass('the bath stayed under its limit');
  });
}
