import t from 'tap';
import { clockTime, type NotifiableEvent, notificationText, notificationTitle, outlookOf } from './message.js';
import {
  acknowledge,
  dueRepeats,
  endsNotified,
  followNotified,
  type NotifiedAlarms,
  neverNoticeFor,
  notificationFor,
  type OpenAlarms,
  type RuleContext,
  reminderDue,
  STOP_ENDS_REMINDERS_OF,
  track,
} from './rules.js';

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
  t.match(
    r?.text,
    /^Safe to eat \(guidance, not a guarantee\): the model of the poultry's core says it has reached its pasteurization target/,
  );
  t.notMatch(r?.text, /docs\/|\.md/, 'no path into the repository: a cook cannot open it');
  t.equal(
    notificationTitle({ type: 'pasteurized', severity: 'info', deviceId: 'kit-1' }),
    'Safe to eat (guidance): kit-1',
    'a title of its own',
  );
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
    ['kit_flapping', 'alarm'],
    ['kit_in_doubt', 'alarm'],
  ] as const) {
    const n = notificationFor(ev(type, sev, { dangerMs: 4 * 3600_000 }), { cooking: false });
    t.equal(n?.severity, sev, `${type} notifies as ${sev}`);
    t.notMatch(n?.text ?? '', /_/, `${type}: plain language`);
  }
  t.equal(notificationFor(ev('ack_contradicts', 'warning'), cooking), null, 'a contradicting Ack off the safety path does not');
  for (const type of ['heating', 'press_missed', 'online', 'stopped', 'sensor_ok', 'boot_regression', 'cooling', 'cooled', 'kit_steady'])
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

/** Runs events through the rules as a notifier does: which alarms notified, and what each event notifies. */
function run(events: NotifiableEvent[], ctx: RuleContext = cooking) {
  let notified: NotifiedAlarms = new Set();
  const out: { type: string; severity: string; text: string }[] = [];
  for (const e of events) {
    const n = notificationFor(e, { ...ctx, endsNotified: endsNotified(notified, e) });
    notified = followNotified(notified, e, n);
    if (n) out.push({ type: n.type, severity: n.severity, text: n.text });
  }
  return out;
}

t.test('the end of a notified alarm is told once; the end of one never notified is not', async (t) => {
  t.same(
    run([ev('over_temp', 'critical', { tempC: 93, limitC: 90 }, 1), ev('over_temp_cleared', 'info', { tempC: 84, limitC: 90 }, 2)]).map(
      (n) => [n.type, n.severity, n.text],
    ),
    [
      ['over_temp', 'critical', 'The water is too hot (93.0 °C, limit 90.0 °C): the heater was switched off.'],
      ['over_temp_cleared', 'info', 'Resolved: the water is back below its limit (84.0 °C).'],
    ],
  );
  t.same(
    run([ev('over_temp', 'critical', {}, 1), ev('over_temp_cleared', 'info', {}, 2), ev('over_temp_cleared', 'info', {}, 3)]).length,
    2,
    'a second clear says nothing',
  );
  for (const [raise, clear, text] of [
    [ev('actuator_disobeys', 'critical', {}, 1), ev('fail_safe_released', 'info', {}, 2), /^Resolved: the water is back in range/],
    [ev('heater_state_unknown', 'critical', {}, 1), ev('fail_safe_released', 'info', {}, 2), /^Resolved/],
    [
      ev('heater_stuck', 'alarm', { held: true }, 1),
      ev('heater_ok', 'info', { riseC: 1 }, 2),
      /^Resolved: the probe sees the water warming/,
    ],
    [
      ev('sensor_fault', 'alarm', { kind: 'disconnected' }, 1),
      ev('sensor_ok', 'info', { was: 'disconnected' }, 2),
      /^Resolved: the probe reads again/,
    ],
    [ev('offline', 'warning', {}, 1), ev('online', 'info', { via: 'status' }, 2), /^Resolved: the kit is back online/],
    [
      ev('kit_flapping', 'alarm', { changes: 4, withinMs: 3000 }, 1),
      ev('kit_steady', 'info', {}, 2),
      /^Resolved: the kit's heater flag is steady/,
    ],
  ] as const) {
    const told = run([raise, clear]);
    t.equal(told.length, 2, `${clear.type} after a notified ${raise.type}`);
    t.match(told[1], { type: clear.type, severity: 'info', text }, `${clear.type}: resolved`);
    t.equal(notificationTitle({ type: clear.type, severity: 'info', deviceId: 'kit-1' }), 'Resolved: kit-1');
  }
  // Never notified: an offline without a cook, a contradicting Ack off the safety path (a warning).
  t.same(
    run([ev('offline', 'warning', {}, 1), ev('online', 'info', {}, 2)], { cooking: false }),
    [],
    'offline with no cook: no online either',
  );
  t.same(run([ev('ack_contradicts', 'warning', {}, 1), ev('fail_safe_released', 'info', {}, 2)]), [], 'a warning: its end is not told');
  t.same(run([ev('sensor_ok', 'info', { was: 'disconnected' }, 2)]), [], 'a clear with no alarm before it');
  t.same(
    run([ev('over_temp', 'critical', {}, 1), { ...ev('over_temp_cleared', 'info', {}, 2), deviceId: 'kit-2' }]).length,
    1,
    "another kit's clear does not end it",
  );
  t.same(
    run([ev('offline', 'warning', {}, 1), ev('stopped', 'info', {}, 2), ev('online', 'info', {}, 3)]).length,
    1,
    'an alarm the end of its cook cleared: the later clear says nothing',
  );
  const wt = run([ev('sensor_fault', 'alarm', { kind: 'fall' }, 1), ev('sensor_ok', 'info', { was: 'fall', by: 'water_test' }, 2)]);
  t.match(wt[1]?.text, /^The probe warmed when the heater ran/, "the water test's pass keeps its own words");
});

t.test("a cook's stop ends the reminders of the cook's alarms only: a too hot bath or a stuck relay goes on reminding", async (t) => {
  const repeat = 60_000;
  let open: OpenAlarms = new Map();
  for (const e of [
    ev('over_temp', 'critical', { tempC: 95, limitC: 90 }, 0),
    ev('actuator_disobeys', 'critical', {}, 0),
    ev('heater_state_unknown', 'critical', {}, 0),
    { ...ev('heater_state_unknown', 'critical', {}, 0), deviceId: 'kit-2' },
  ])
    open = track(open, e, notificationFor(e, cooking));
  t.equal(dueRepeats(open, repeat, repeat).due.length, 4, 'four alarms remind');
  open = track(open, ev('stopped', 'info', { targetC: 56 }, 1000), null);
  t.same(
    dueRepeats(open, 10 * repeat, repeat)
      .due.map((n) => `${n.deviceId} ${n.type}`)
      .sort(),
    ['kit-1 actuator_disobeys', 'kit-1 over_temp', 'kit-2 heater_state_unknown'],
    "kit-1's cook stopped: the stop ended its cook's alarm; the water too hot and the heater that does not obey go on, and kit-2's",
  );
  t.ok(STOP_ENDS_REMINDERS_OF.includes('offline'), "an unplugged kit's offline ends with its cook");
  for (const type of ['over_temp', 'actuator_disobeys'])
    t.notOk(STOP_ENDS_REMINDERS_OF.includes(type), `a stop never ends the reminders of ${type}`);
  const later = ev('heater_state_unknown', 'critical', {}, 2000);
  open = track(open, later, notificationFor(later, cooking));
  t.equal(dueRepeats(open, 20 * repeat, repeat).due.length, 4, 'an alarm raised after the stop reminds again');
});

t.test('done says when the food is not yet pasteurized, or that it will not be', async (t) => {
  const doneTs = Date.UTC(2026, 0, 10, 12, 0);
  const done = ev('done', 'info', { targetC: 56, durationMin: 90 }, doneTs);
  const forecast = (data: Record<string, unknown>, ts = doneTs - 60_000) =>
    ev('forecast', 'info', { cookId: 'ck-1', readyAt: doneTs - 3_600_000, ...data }, ts);
  const later = outlookOf(forecast({ safeAt: doneTs + 35 * 60_000, safety: { foodKind: 'poultry', never: false, pasteurized: false } }));
  t.equal(
    notificationFor(done, { ...cooking, outlook: later, timeZone: 'UTC' })?.text,
    'The cook is done: 90 min at 56.0 °C. The poultry is not yet pasteurized (safe at 12:35, guidance, not a guarantee).',
  );
  t.equal(clockTime(doneTs + 35 * 60_000, 'Europe/Berlin'), '13:35', "in the kitchen's time zone");
  const never = outlookOf(forecast({ safeAt: null, safety: { foodKind: 'pork', never: true, pasteurized: false } }));
  t.equal(
    notificationFor(done, { ...cooking, outlook: never })?.text,
    'The cook is done: 90 min at 56.0 °C. The model says the pork will not pasteurize at this temperature (guidance, not a guarantee).',
  );
  const safe = outlookOf(forecast({ safeAt: doneTs - 60_000, safety: { foodKind: 'poultry', never: false, pasteurized: true } }));
  t.equal(
    notificationFor(done, { ...cooking, outlook: safe })?.text,
    'The cook is done: 90 min at 56.0 °C.',
    'already safe: nothing added',
  );
  t.equal(notificationFor(done, cooking)?.text, 'The cook is done: 90 min at 56.0 °C.', 'a cook with no food: nothing added');
  t.equal(outlookOf(forecast({ safeAt: null, safety: null })), null, 'a forecast without a food gives no outlook');
});

t.test('a cook whose food will not pasteurize is told once, not while the water still heats', async (t) => {
  const at = 5_000_000;
  const f = (ts: number, never: boolean, readyAt: number | null, cookId = 'ck-1') =>
    ev(
      'forecast',
      'info',
      { cookId, readyAt, safeAt: never ? null : ts + 3_600_000, safety: { foodKind: 'poultry', never, pasteurized: false } },
      ts,
    );
  t.equal(neverNoticeFor(f(at, true, at + 600_000), null), null, 'heating towards the target: a cold-water "never" is not told');
  const heating = outlookOf(f(at, true, at + 600_000));
  const n = neverNoticeFor(f(at + 700_000, true, at + 600_000), heating);
  t.match(n, { id: 'ck-1~never', type: 'will_not_pasteurize', severity: 'warning', deviceId: 'kit-1' }, 'the water settled: told');
  t.match(
    n?.text,
    /^Not safe to eat yet \(guidance, not a guarantee\): the model says the poultry will not pasteurize at this temperature/,
  );
  const settled = outlookOf(f(at + 700_000, true, at + 600_000));
  t.equal(neverNoticeFor(f(at + 800_000, true, at + 600_000), settled), null, 'not again for the same cook');
  t.equal(neverNoticeFor(f(at + 900_000, true, at + 600_000, 'ck-2'), settled)?.id, 'ck-2~never', 'a new cook: told again');
  t.equal(neverNoticeFor(f(at, false, at - 1), null), null, 'a forecast with a safe time: nothing');
  t.equal(
    notificationTitle({ type: 'will_not_pasteurize', severity: 'warning', deviceId: 'kit-1' }),
    'Will not pasteurize (guidance): kit-1',
  );
});

t.test('an alarm that continues one told before a gateway restart is not told again; its end is, once', async (t) => {
  const again = ev('over_temp', 'critical', { tempC: 97, limitC: 90, continues: 'ev-over_temp-1' }, 5);
  t.equal(notificationFor(again, cooking), null, 'the same alarm: told already');
  // The set kept across the restart: the alarm before it notified.
  let notified: NotifiedAlarms = followNotified(
    new Set(),
    ev('over_temp', 'critical', {}, 1),
    notificationFor(ev('over_temp', 'critical', {}, 1), cooking),
  );
  notified = followNotified(notified, again, notificationFor(again, cooking));
  t.ok(endsNotified(notified, ev('over_temp_cleared', 'info', {}, 6)), 'still notified: its end is told');
  let open: OpenAlarms = track(new Map(), ev('over_temp', 'critical', {}, 1), notificationFor(ev('over_temp', 'critical', {}, 1), cooking));
  const firstId = [...open.values()][0]?.first.id;
  open = track(open, again, notificationFor(again, cooking));
  t.same(
    [...open.values()].map((a) => a.first.id),
    [firstId],
    'its reminders stay those of the first notice',
  );
});
