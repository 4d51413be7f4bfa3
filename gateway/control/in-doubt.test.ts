import t from 'tap';
import { clearedBy } from '../../shared/alarms/lifecycle.js';
import { notificationFor } from '../../shared/notify/rules.js';
import { type ControlInput, type ControlResult, controlStep, type DeviceControlState, initialControlState } from './device-control.js';
import type { ControlEvent } from './types.js';

/**
 * ADR 088: a kit that restarted mid-press answers `in-doubt`. Control raises one alarm for a person
 * (`kit_in_doubt`, notified) and presses nothing for it. Pure: the control core on a fake clock.
 */
class Kit {
  s: DeviceControlState = initialControlState();
  t = 1_000_000;
  events: ControlEvent[] = [];
  decisions: string[] = [];
  step(input: ControlInput): ControlResult {
    const r = controlStep(this.s, input, this.t);
    this.s = r.state;
    this.events.push(...r.events);
    if (r.decision.kind !== 'none') this.decisions.push(r.decision.kind);
    return r;
  }
  reading(tempC: number, heater: boolean) {
    this.t += 1000;
    this.step({ kind: 'telemetry', reading: { tempC, sensor: 'ok', heater, boot: 2 } });
    this.step({ kind: 'tick' });
  }
}

const inDoubt = (op: 'safe' | 'press'): ControlInput => ({
  kind: 'ack',
  op,
  ok: false,
  heater: false,
  err: 'in-doubt',
  ...(op === 'press' ? { expect: 'off' as const } : {}),
});

t.test('a `safe` answered in-doubt raises kit_in_doubt once, notified, and presses nothing for it', async (t) => {
  const k = new Kit();
  k.step({ kind: 'cook_start', spec: { targetC: 56 } });
  for (let i = 0; i < 30; i++) k.reading(56, false);
  const before = k.decisions.length;
  // An ADR 086 kit refused every `safe` while in doubt; the gateway repeats them.
  for (let i = 0; i < 5; i++) {
    const r = k.step(inDoubt('safe'));
    t.equal(r.decision.kind, 'none', 'no command answers an in-doubt Ack');
    k.reading(56, false);
  }
  const alarms = k.events.filter((e) => e.type === 'kit_in_doubt');
  t.equal(alarms.length, 1, 'one alarm for the doubt, not one per refusal');
  t.equal(alarms[0]?.severity, 'alarm');
  t.ok(alarms[0]?.safety);
  t.same(alarms[0]?.data, { op: 'safe', heater: 'off' });
  t.same(
    k.decisions.slice(before).filter((d) => d === 'press'),
    [],
    'no press',
  );
  const n = notificationFor({ id: 'e1', deviceId: 'kit-1', ts: k.t, ...alarms[0]!, data: alarms[0]!.data }, { cooking: true });
  t.equal(n?.severity, 'alarm', 'it notifies a person');
  t.match(n?.text ?? '', /Check the cooker/);
  t.notMatch(n?.text ?? '', /_/, 'plain language');
  t.ok(clearedBy('stopped').includes('kit_in_doubt'), "the cook's end closes it");
});

t.test('after an Ack ok, a later doubt (another reset mid-press) is told again; other refusals raise nothing', async (t) => {
  const k = new Kit();
  k.step(inDoubt('press'));
  k.step(inDoubt('safe'));
  k.step({ kind: 'ack', op: 'safe', ok: false, heater: true, err: 'busy' });
  k.step({ kind: 'ack', op: 'safe', ok: false, heater: true, err: 'expired' });
  t.equal(k.events.filter((e) => e.type === 'kit_in_doubt').length, 1);
  t.same(k.events.filter((e) => e.type === 'kit_in_doubt')[0]?.data, { op: 'press', heater: 'off' });
  k.step({ kind: 'ack', op: 'safe', ok: true, heater: false });
  k.step(inDoubt('safe'));
  t.equal(k.events.filter((e) => e.type === 'kit_in_doubt').length, 2);
});
