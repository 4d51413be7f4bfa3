import t from 'tap';
import { type Alarm, acknowledge, clear, clearedBy, continuedAlarm, merge, raisedBy, stateOf, stepsBetween } from './lifecycle.js';

/** The alarm lifecycle rules (pure): raise, acknowledge, clear, and the merge both sides use. */
const ev = (type: string, severity: 'info' | 'warning' | 'alarm' | 'critical', data: Record<string, unknown> = {}) => ({
  id: `ev-${type}`,
  deviceId: 'kit-1',
  type,
  severity,
  ts: 1000,
  data,
});
const raised = raisedBy(ev('sensor_fault', 'alarm', { kind: 'disconnected' })) as Alarm;

t.test('raise: events of severity alarm or critical, in plain language', async (t) => {
  t.match(raised, {
    id: 'ev-sensor_fault',
    type: 'sensor_fault',
    severity: 'alarm',
    raisedAt: 1000,
    acknowledgedAt: null,
    clearedAt: null,
  });
  t.equal(raised.text, 'The probe is not reading: check its cable.');
  t.equal(stateOf(raised), 'open');
  t.equal(raisedBy(ev('reached', 'info')), null, 'an info event raises nothing');
  t.equal(raisedBy(ev('sensor_fault', 'warning')), null);
  t.match(raisedBy(ev('valve_jammed', 'alarm'))?.text, 'Alarm: valve jammed.', 'types without a notification text still read plainly');
  t.same(clearedBy('sensor_ok'), ['sensor_fault', 'water_test_failed'], 'the probe reading water again also ends a failed water test');
  t.ok(clearedBy('stopped').includes('heater_stuck'), "a cook's end clears its alarms");
  t.same(clearedBy('reached'), []);
});

t.test('acknowledge: the first stays; a cleared alarm may be acknowledged', async (t) => {
  const a = acknowledge(raised, { by: 'operator', at: 2000, note: 'on it' });
  t.match(a, { acknowledgedBy: 'operator', acknowledgedAt: 2000, note: 'on it' });
  t.equal(stateOf(a), 'acknowledged');
  t.equal(acknowledge(a, { by: 'alice', at: 1500, note: 'me' }), a, 'twice: the first stays, even an earlier clock');
  const c = clear(raised, 3000, 'sensor_ok');
  t.equal(stateOf(c), 'cleared');
  const ca = acknowledge(c, { by: 'alice', at: 4000 });
  t.same([stateOf(ca), ca.acknowledgedBy, ca.note], ['cleared', 'alice', null], 'acknowledging a cleared alarm records who saw it');
  t.equal(clear(c, 5000, 'stopped'), c, 'cleared twice: the first stays');
  t.equal(acknowledge(raised, { by: 'x'.repeat(300), at: 1, note: 'n'.repeat(900) }).note?.length, 500, 'a note is bounded');
});

t.test('merge: commutative, associative, idempotent; the earliest acknowledgement and clearing win', async (t) => {
  const local = acknowledge(raised, { by: 'operator', at: 2000 });
  const cloud = acknowledge(raised, { by: 'alice@example.com', at: 1900, note: 'seen' });
  const cleared = clear(raised, 3000, 'sensor_ok');
  const views = [raised, local, cloud, cleared];
  for (const x of views) {
    t.same(merge(x, x), x, 'idempotent');
    for (const y of views) {
      t.same(merge(x, y), merge(y, x), 'commutative');
      for (const z of views) t.same(merge(merge(x, y), z), merge(x, merge(y, z)), 'associative');
    }
  }
  const all = views.reduce(merge);
  t.match(all, { acknowledgedBy: 'alice@example.com', acknowledgedAt: 1900, note: 'seen', clearedAt: 3000, how: 'sensor_ok' });
  t.same(stepsBetween(raised, all), ['ack', 'clear']);
  t.same(stepsBetween(null, raised), ['raise']);
  t.same(stepsBetween(all, all), [], 'nothing to audit on a replay');
  const tie = acknowledge(raised, { by: 'bob', at: 1900 });
  t.equal(merge(cloud, tie).acknowledgedBy, 'alice@example.com', 'a tie goes to the smaller name, on both sides');
  t.equal(merge(tie, cloud).acknowledgedBy, 'alice@example.com');
});

t.test('an event that continues an alarm from before a gateway restart raises none', async (t) => {
  t.equal(raisedBy(ev('over_temp', 'critical', { tempC: 97, limitC: 90, continues: 'ev-older' })), null);
  t.equal(continuedAlarm(ev('over_temp', 'critical', { continues: 'ev-older' })), 'ev-older');
  t.equal(continuedAlarm(ev('over_temp', 'critical', { continues: '' })), null);
  t.equal(continuedAlarm(ev('over_temp', 'critical')), null);
});
