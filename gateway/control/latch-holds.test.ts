import t from 'tap';
import { clearedBy } from '../../shared/alarms/lifecycle.js';
import { activeAlarms } from './alarms.js';
import {
  type ControlInput,
  type ControlResult,
  controlStep,
  DEFAULT_CONTROL,
  type DeviceControlState,
  initialControlState,
} from './device-control.js';
import type { Decision } from './types.js';

/**
 * What a kit says cannot open the fail-safe or leave it silent: the water test never presses on
 * while the bath is held for over-temperature, and a `safe` for a probe that cannot be read is
 * repeated for as long as the kit says its heater is on, whether the first one was lost, refused
 * or answered "still on". Pure: the control core on a fake clock.
 */
class Kit {
  s: DeviceControlState = initialControlState();
  t = 1_000_000;
  decisions: { t: number; d: Decision }[] = [];
  step(input: ControlInput): ControlResult {
    const r = controlStep(this.s, input, this.t);
    this.s = r.state;
    if (r.decision.kind !== 'none') this.decisions.push({ t: this.t, d: r.decision });
    return r;
  }
  reading(tempC: number | null, heater: boolean, sensor: 'ok' | 'disconnected' = tempC === null ? 'disconnected' : 'ok') {
    this.t += 1000;
    this.step({ kind: 'telemetry', reading: { tempC, sensor, heater, boot: 1 } });
    this.step({ kind: 'tick' });
  }
  /** Five minutes held at 60 °C: the engine has learned the bath and the cook has reached its target. */
  holdAt60() {
    this.step({ kind: 'cook_start', spec: { targetC: 60 } });
    for (let i = 0; i < 300; i++) this.reading(60 + 0.1 * Math.sin(i / 20), this.s.commandedOn);
  }
}

t.test('the water test never presses on while the bath is held for over-temperature', async (t) => {
  const k = new Kit();
  k.holdAt60();
  // The heater runs away (a relay stuck on): the kit believes off, the bath climbs to 66 °C.
  let c = 60;
  while (c < 66) {
    c += 0.05;
    k.reading(c, false);
  }
  t.ok(k.s.watchdog.overTemp, 'over-temperature');
  const mark = k.decisions.length;
  // Cold water poured in: a fall faster than a bath cools (a sensor fault), then the water settles at 53 °C.
  for (const v of [63.6, 61.2, 60.5, 60.0, 58, 56, 54, 53]) k.reading(v, false);
  for (let i = 0; i < 600; i++) k.reading(53, false);
  t.same(
    k.decisions.slice(mark).filter((x) => x.d.kind === 'press' && x.d.expect === 'on'),
    [],
    'no press on while the over-temperature stands',
  );
  t.ok(k.s.latch !== null, 'the latch still holds');
  t.equal(k.s.watchdog.testPhase, null, 'the water test did not start');
});

for (const lost of ['timed out', 'refused'] as const) {
  t.test(`a safe for an unreadable probe that was ${lost} is repeated while the kit says its heater is on`, async (t) => {
    const k = new Kit();
    k.holdAt60();
    // The probe is disconnected while the heater is on; the third bad reading trips `safe`.
    for (let i = 0; i < 3; i++) k.reading(null, true);
    const first = k.decisions.findLast((x) => x.d.kind === 'safe');
    t.ok(first, 'the fault sent safe');
    if (lost === 'timed out') k.step({ kind: 'command_failed' });
    else k.step({ kind: 'ack', op: 'safe', ok: false, heater: true });
    const mark = k.decisions.length;
    for (let i = 0; i < 1800; i++) k.reading(null, true);
    const after = k.decisions.slice(mark);
    t.ok(after.length >= 10, `safe repeated (${after.length} in 30 min)`);
    t.same(
      after.filter((x) => x.d.kind !== 'safe'),
      [],
      'nothing but safe',
    );
    const gaps = after.slice(1).map((x, i) => x.t - (after[i]?.t ?? x.t));
    t.ok(
      gaps.every((g) => g >= 10_000 && g <= 120_000),
      'at the latch interval: from 10 s, never more than 2 min apart',
    );
  });
}

t.test('a safe the kit answered "still on" is not pressed again blind: a person is asked', async (t) => {
  const k = new Kit();
  k.holdAt60();
  for (let i = 0; i < 3; i++) k.reading(null, true);
  const r = k.step({ kind: 'ack', op: 'safe', ok: true, heater: true });
  t.ok(
    r.events.some((e) => e.type === 'ack_contradicts' && e.severity === 'alarm'),
    'an alarm: the kit answered safe with its heater on',
  );
  const mark = k.decisions.length;
  for (let i = 0; i < 1800; i++) k.reading(null, true);
  t.same(k.decisions.slice(mark), [], 'no second safe: with a toggle it could switch a heater that went off back on');
});

t.test('a safe the kit answered with heater off is not repeated while the probe stays unreadable', async (t) => {
  const k = new Kit();
  k.holdAt60();
  for (let i = 0; i < 3; i++) k.reading(null, true);
  k.step({ kind: 'ack', op: 'safe', ok: true, heater: false });
  const mark = k.decisions.length;
  for (let i = 0; i < 600; i++) k.reading(null, false);
  t.same(k.decisions.slice(mark), [], 'no command to a kit that switched off');
});

t.test('a stored cook that a lowered control.maxC refuses is not resumed: held off, told, until a cook the rules accept', async (t) => {
  const cfg = { ...DEFAULT_CONTROL, watchdog: { ...DEFAULT_CONTROL.watchdog, absoluteMaxC: 50 } };
  let s = initialControlState(cfg);
  let now = 1_000_000;
  const step = (input: ControlInput) => {
    const r = controlStep(s, input, now, cfg);
    s = r.state;
    return r;
  };
  const r = step({ kind: 'cook_resume', spec: { targetC: 57 }, phase: 'holding', lastC: 56.5, lastMs: now - 60_000, nowC: 56 });
  t.equal(r.decision.kind, 'safe', 'the heater is switched off');
  t.ok(
    r.events.some((e) => e.type === 'resume_refused'),
    'the cook is told',
  );
  t.match(s.resumeHold, /control\.maxC 50/, 'held, naming the rule');
  t.same(activeAlarms(s), ['resume_refused'], 'shown as the refused resume, not as a bath that cooled');
  t.ok(
    clearedBy('heating').includes('resume_refused') && clearedBy('stopped').includes('resume_refused'),
    'a new or stopped cook ends the alarm',
  );
  const presses: Decision[] = [];
  for (let i = 0; i < 600; i++) {
    now += 1000;
    const d = step({ kind: 'telemetry', reading: { tempC: 45 - i * 0.01, sensor: 'ok', heater: false, boot: 1 } }).decision;
    if (d.kind !== 'none') presses.push(d);
  }
  t.same(presses, [], 'no press while held, with the water far below the stored target');
  step({ kind: 'resume_confirm' });
  t.not(s.resumeHold, null, "an operator's confirmation does not run a cook the rules refuse");
  t.equal(step({ kind: 'cook_change', spec: { targetC: 45, durationMin: 60 } }).rejected, undefined, 'a target the rules accept');
  t.equal(s.resumeHold, null, 'lets it go');
  now += 1000;
  const d = step({ kind: 'telemetry', reading: { tempC: 39, sensor: 'ok', heater: false, boot: 1 } }).decision;
  t.match(d, { kind: 'press', expect: 'on' }, 'and the engine heats again');
});

t.test('a cook held both for a bath that fell below 54.4 °C and for a rule: a changed cook does not let the fall go', async (t) => {
  const cfg = { ...DEFAULT_CONTROL, watchdog: { ...DEFAULT_CONTROL.watchdog, absoluteMaxC: 70 } };
  let s = initialControlState(cfg);
  const now = 10_000_000;
  const step = (input: ControlInput) => {
    const r = controlStep(s, input, now, cfg);
    s = r.state;
    return r;
  };
  // Stored at 68 °C, last read at 68 °C two hours ago; the bath is at 45 °C now, and 68 °C is above this gateway's 67 °C.
  const r = step({ kind: 'cook_resume', spec: { targetC: 68 }, phase: 'holding', lastC: 68, lastMs: now - 2 * 3600_000, nowC: 45 });
  t.ok(r.events.some((e) => e.type === 'resume_unsafe') && r.events.some((e) => e.type === 'resume_refused'), 'both told');
  t.match(s.resumeHold, /fell below 54\.4/, 'the fall is the hold');
  step({ kind: 'cook_change', spec: { targetC: 60 } });
  t.match(s.resumeHold, /fell below 54\.4/, 'a target the rules accept does not let the fall go');
  step({ kind: 'resume_confirm' });
  t.equal(s.resumeHold, null, "a person's confirmation does");
});
