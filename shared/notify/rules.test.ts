import t from 'tap';
import { type NotifiableEvent, notificationText } from './message.js';
import { acknowledge, dueRepeats, notificationFor, type OpenAlarms, reminderDue, track } from './rules.js';

const ev = (type: string, severity: NotifiableEvent['severity'], data: Record<string, unknown> = {}, ts = 1_000_000): NotifiableEvent => ({
  id: `ev-${type}-${ts}`,
  deviceId: 'kit-1',
  type,
  severity,
  ts,
  data,
});
const cooking = { cooking: true };

t.test('target reached and cook done notify with plain text and the event id as key', async (t) => {
  const r = notificationFor(ev('reached', 'info', { targetC: 60 }), cooking);
  t.same(r, {
    id: 'ev-reached-1000000',
    type: 'reached',
    severity: 'info',
    deviceId: 'kit-1',
    at: new Date(1_000_000).toISOString(),
    text: 'The water is ready: 60.0 °C reached. The food can go in.',
  });
  t.match(notificationFor(ev('done', 'info', { targetC: 60, durationMin: 90 }), cooking)?.text, /done: 90 min at 60\.0 °C/);
});

t.test('safe to eat notifies once the modelled core is pasteurized, labelled as guidance', async (t) => {
  const r = notificationFor(ev('pasteurized', 'info', { cookId: 'ck-1', foodKind: 'poultry', safeAt: 999_000 }), cooking);
  t.equal(r?.type, 'pasteurized');
  t.equal(r?.severity, 'info');
  t.match(r?.text, /^Safe to eat \(guidance, not a guarantee\): the modelled core of the poultry has reached/);
  t.equal(notificationFor(ev('forecast', 'info', { safeAt: 999_000 }), cooking), null, 'a moved forecast does not notify');
});

t.test('every safety alarm notifies; routine events do not', async (t) => {
  t.equal(
    notificationFor(ev('sensor_fault', 'alarm', { kind: 'disconnected' }), cooking)?.text,
    'The probe is not reading: check its cable.',
  );
  for (const [type, sev] of [
    ['over_temp', 'critical'],
    ['actuator_fault', 'alarm'],
    ['actuator_disobeys', 'critical'],
    ['heater_state_unknown', 'critical'],
    ['food_safety_alarm', 'alarm'],
    ['ack_contradicts', 'alarm'],
    ['heater_stuck', 'alarm'],
    ['resume_unsafe', 'alarm'],
    ['water_test_failed', 'alarm'],
  ] as const) {
    const n = notificationFor(ev(type, sev, { dangerMs: 4 * 3600_000 }), { cooking: false });
    t.equal(n?.severity, sev, `${type} notifies as ${sev}`);
    t.notMatch(n?.text ?? '', /_/, `${type}: plain language`);
  }
  t.equal(notificationFor(ev('ack_contradicts', 'warning'), cooking), null, 'a contradicting Ack off the safety path does not');
  for (const type of ['heating', 'press_missed', 'online', 'stopped', 'sensor_ok', 'boot_regression'])
    t.equal(notificationFor(ev(type, 'info'), cooking), null, `${type} does not notify`);
});

t.test('a fall the water test cleared is told; a probe that reads again is not', async (t) => {
  const n = notificationFor(ev('sensor_ok', 'info', { was: 'fall', by: 'water_test', riseC: 1 }), cooking);
  t.equal(n?.type, 'sensor_ok');
  t.match(n?.text, /^The probe warmed when the heater ran, so it is in the water/);
  t.equal(notificationFor(ev('sensor_ok', 'info', { was: 'fall' }), cooking), null);
  t.match(notificationFor(ev('water_test_failed', 'alarm', { heated: true, riseC: 0 }), cooking)?.text, /check the cooker/);
  // A pass taken back: the probe seems to read air the bath warms (ADR 058).
  const withdrawn = notificationFor(ev('water_test_failed', 'alarm', { heated: true, withdrawn: true, misses: 3 }), cooking)?.text;
  t.match(withdrawn, /^The probe seems to be out of the water after all/);
  t.match(withdrawn, /switched off and held off/);
  const unpressed = notificationFor(
    ev('water_test_failed', 'alarm', { heated: true, withdrawn: true, misses: 3, pressed: false }),
    cooking,
  )?.text;
  t.match(unpressed, /made no press/);
  t.match(unpressed, /switch it off if it heats/);
  // A probe out of the water that keeps warming: the heater may still be on.
  const warming = ev('heater_state_unknown', 'critical', { probe: 'out_of_water', warmingC: 1.06, overMin: 3 });
  const warmingText = notificationFor(warming, cooking)?.text;
  t.match(warmingText, /the probe has warmed 1\.1 °C in 3 minutes/);
  t.match(warmingText, /the heater may still be on/);
  t.match(warmingText, /Switch the cooker off by hand/);
  t.match(notificationText(warming, 'F'), /warmed 1\.9 °F in 3 minutes/, 'a difference in °F has no offset');
  // A fall early in a heat-up says why it is a fall, and that no test follows: the cook is started again.
  const heatUp = notificationFor(ev('sensor_fault', 'alarm', { kind: 'fall', badReadings: 3, heatUp: true }), cooking)?.text;
  t.match(heatUp, /fell while the heater was heating the water/);
  t.match(heatUp, /start the cook again/);
  t.notMatch(heatUp, /heats briefly to check/, 'no water test in a heat-up');
  t.match(notificationFor(ev('sensor_fault', 'alarm', { kind: 'fall', badReadings: 3 }), cooking)?.text, /fell faster than water can cool/);
});

t.test('a kit offline notifies only during a cook, as an alarm', async (t) => {
  t.equal(notificationFor(ev('offline', 'warning'), { cooking: false }), null);
  t.equal(notificationFor(ev('offline', 'warning'), cooking)?.severity, 'alarm');
});

t.test('a critical alarm repeats every repeatMin until the event that clears it', async (t) => {
  const repeat = 5 * 60_000;
  const over = ev('over_temp', 'critical', { tempC: 93, limitC: 90 }, 0);
  let open: OpenAlarms = track(new Map(), over, notificationFor(over, cooking));
  t.same(dueRepeats(open, repeat - 1, repeat).due, [], 'nothing before repeatMin');
  let r = dueRepeats(open, repeat, repeat);
  t.same(
    r.due.map((n) => n.id),
    ['ev-over_temp-0~r1'],
    'a reminder with an id of its own',
  );
  t.match(r.due[0]?.text, /reminder 1.*too hot/);
  open = r.open;
  t.same(dueRepeats(open, repeat + 1000, repeat).due, [], 'not again at once');
  r = dueRepeats(open, 2 * repeat, repeat);
  t.same(
    r.due.map((n) => n.id),
    ['ev-over_temp-0~r2'],
  );
  // The wall clock steps back an hour: the next reminder does not wait for the hour to pass again.
  const back = 2 * repeat - 3_600_000;
  t.same(
    dueRepeats(r.open, back, repeat).due.map((n) => n.id),
    ['ev-over_temp-0~r3'],
    'a clock stepped back: reminded at once',
  );
  t.same(dueRepeats(dueRepeats(r.open, back, repeat).open, back + 1000, repeat).due, [], 'then paced from the new clock');
  open = track(r.open, ev('over_temp_cleared', 'info', {}, 2 * repeat + 1), null);
  t.same(dueRepeats(open, 10 * repeat, repeat).due, [], 'cleared: no more reminders');

  const alarm = ev('sensor_fault', 'alarm', { kind: 'disconnected' }, 0);
  t.equal(track(new Map(), alarm, notificationFor(alarm, cooking)).size, 0, 'a non-critical alarm does not repeat');

  const unknown = ev('heater_state_unknown', 'critical', {}, 0);
  const n = notificationFor(unknown, cooking);
  open = track(new Map(), unknown, n);
  t.equal(acknowledge(open, n?.id ?? '').size, 0, 'an acknowledge stops the reminders');
  t.equal(track(open, { ...ev('stopped', 'info'), deviceId: 'kit-2' }, null).size, 1, 'another kit’s events leave it open');
});

t.test("the cloud's reminders: counted from the raise, the same words and ids as the gateway's", async (t) => {
  const first = {
    id: 'ev-9',
    type: 'over_temp',
    severity: 'critical' as const,
    deviceId: 'kit-1',
    at: new Date(0).toISOString(),
    text: 'Too hot.',
  };
  const repeat = 600_000;
  t.equal(reminderDue(first, 0, repeat - 1, repeat), null, 'nothing before the first interval');
  t.match(reminderDue(first, 0, repeat, repeat), { id: 'ev-9~r1', type: 'over_temp', severity: 'critical', deviceId: 'kit-1' });
  t.equal(reminderDue(first, 0, repeat, repeat)?.text, `Still not resolved (reminder 1, since ${first.at}): Too hot.`);
  t.equal(reminderDue(first, 0, 3.5 * repeat, repeat)?.id, 'ev-9~r3', 'a late check: only the newest');
});

t.test('heater_stuck without a press says the gateway made none and asks for the cooker to be checked', async (t) => {
  const r = notificationFor(ev('heater_stuck', 'alarm', { held: true, pressed: false }), cooking);
  t.match(r?.text, /made no press/, 'says no press was made');
  t.match(r?.text, /Check the cooker by hand/, 'asks for the cooker to be checked');
  const pressed = notificationFor(ev('heater_stuck', 'alarm', { held: true }), cooking);
  t.match(pressed?.text, /switched off and is held off/, 'the usual text when the safe was sent');
});
