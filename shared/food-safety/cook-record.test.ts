import t from 'tap';
import { buildCookRecord, CURVE_POINTS } from './cook-record.js';

const base = {
  cookId: 'cook-1',
  deviceId: 'kit-a',
  gatewayId: null,
  state: 'stopped',
  startedTs: 0,
  endedTs: 10_000_000,
  events: [
    { ts: 5, type: 'reached', severity: 'info', data: {} },
    { ts: 9, type: 'over_temp', severity: 'critical', data: {} },
  ],
  actions: [
    { ts: 0, actor: 'user operator', action: 'cook_start', reason: 'target 60 °C' },
    { ts: 1, actor: 'engine', action: 'press_on', reason: 'below target' },
    { ts: 9, actor: 'cloud', action: 'cook_stop', reason: 'stopped' },
  ],
};

t.test('durations come from the readings; a gap over two minutes is listed, counted as danger time, not as time at target', async (t) => {
  // 10 s steps: 30 readings at 40 °C, a 10-minute gap, 30 readings at 60 °C.
  const readings = [
    ...Array.from({ length: 30 }, (_, i) => ({ ts: i * 10_000, tempC: 40 })),
    ...Array.from({ length: 30 }, (_, i) => ({ ts: 890_000 + i * 10_000, tempC: 60 })),
  ];
  const r = buildCookRecord({ ...base, spec: { targetC: 60 }, readings });
  t.equal(r.dangerZoneMs, 29 * 10_000 + 600_000, '29 intervals at 40 °C and the gap after them (one end in the zone)');
  t.equal(r.gapMs, 600_000);
  t.same(r.gaps, [{ fromTs: 290_000, toTs: 890_000, fromC: 40, toC: 60 }]);
  t.equal(r.atOrAboveTargetMs, 29 * 10_000, '29 intervals at 60 °C');
  t.equal(r.readings, 60);
  t.equal(r.minC, 40);
  t.equal(r.maxC, 60);
  t.equal(r.lethality, null, 'no food named: no lethality');
  t.same(r.who, ['user operator', 'cloud'], 'who: the actors of the cook actions');
  t.same(
    r.alarms.map((a) => a.type),
    ['over_temp'],
    'alarms: alarm and critical events only',
  );
  t.equal(r.actions.length, 3);
});

t.test('the curve keeps min, mean and max per bucket within its point budget', async (t) => {
  const readings = Array.from({ length: 5000 }, (_, i) => ({ ts: i * 1000, tempC: i % 2 === 0 ? 59 : 61 }));
  const r = buildCookRecord({ ...base, spec: { targetC: 60 }, readings: [...readings, { ts: 5_000_000, tempC: null }] });
  t.ok(r.curve.length <= CURVE_POINTS && r.curve.length > CURVE_POINTS / 2, `${r.curve.length} points`);
  t.ok(
    r.curve.every((p) => p.min === 59 && p.max === 61 && Math.abs(p.mean - 60) < 0.1),
    'each bucket spans the readings in it',
  );
});

t.test('lethality of a named food follows its bath: a held 60 °C pasteurizes 20 mm chicken, 50 °C does not', async (t) => {
  const spec = { targetC: 60, foodKind: 'poultry' as const, thicknessMm: 20 };
  const hold = (c: number) => Array.from({ length: 3 * 360 }, (_, i) => ({ ts: i * 10_000, tempC: c }));
  const hot = buildCookRecord({ ...base, spec, readings: hold(60) });
  t.match(hot.lethality, { pasteurized: true, fraction: 1, pathogens: [{ name: 'Salmonella', needed: 7 }] });
  t.ok(hot.lethality!.pasteurizedTs! > 0 && hot.lethality!.pasteurizedTs! < 3 * 3600_000, 'with the time it happened');
  const cool = buildCookRecord({ ...base, spec, readings: hold(50) });
  t.match(cool.lethality, { pasteurized: false, fraction: 0, pasteurizedTs: null });
});
