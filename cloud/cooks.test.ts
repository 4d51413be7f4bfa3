import t from 'tap';
import { cookRecordId } from '../shared/relay/cook-id.js';
import { DEFAULT_ORG } from './stores/types.js';
import { audit, batch, event, T0, telemetry, uid } from './testing/fixtures.js';
import { pointsOf } from './testing/read-back.js';
import { api, credentials, startCloud, testConfig } from './testing/servers.js';

/**
 * Cook records, forecasts and the readings CSV on the cloud (embedded SQLite store): a gateway
 * relays a cook with its readings, events and audit; the answers are checked against the rows
 * the stores hold.
 */
const c = await startCloud(t, testConfig(t, undefined, 'cooks'));
const creds = await credentials(c);
const ingest = (records: Parameters<typeof batch>[0]) => api(c.base, 'POST', '/v1/ingest', creds.gateway.token, batch(records));

const dev = uid('kit').toLowerCase();
const cookId = uid('cook');
const spec = { targetC: 60, durationMin: 60, food: 'chicken', foodKind: 'poultry' as const, foodShape: 'slab' as const, thicknessMm: 15 };
const cookRec = (version: number, state: 'heating' | 'holding' | 'stopped', updatedTs: number) => ({
  kind: 'cook' as const,
  id: cookRecordId(cookId, version, state),
  deviceId: dev,
  version,
  state,
  spec,
  startedTs: T0,
  updatedTs,
});
// 2 h of readings every 10 s: 40 min of heat-up from 20 °C, then 60 °C.
const readings = Array.from({ length: 720 }, (_, i) =>
  telemetry(dev, 1, i, {
    ts: T0 + i * 10_000,
    rxTs: T0 + i * 10_000 + 5,
    tempC: Math.round((i < 240 ? 20 + (40 * i) / 240 : 60) * 16) / 16,
  }),
);
const STOP = T0 + 7_200_000;

t.before(async () => {
  // The user set the cook in the cloud a moment before the gateway started it.
  await c.cloud.stores.meta.addAudit({
    id: uid('aud'),
    orgId: DEFAULT_ORG,
    gatewayId: null,
    ts: T0 - 2000,
    actor: { type: 'user', id: 'oscar' },
    deviceId: dev,
    action: 'cook.set',
    reason: 'set via cloud API',
    data: { spec },
  });
  t.equal((await ingest(readings.slice(0, 400))).status, 200);
  const r = await ingest([
    ...readings.slice(400),
    cookRec(1, 'heating', T0),
    cookRec(1, 'holding', T0),
    cookRec(2, 'stopped', STOP),
    audit(dev, { ts: T0, actor: { type: 'user', id: 'operator' }, action: 'cook_start', reason: 'target 60 °C', data: { cookId } }),
    audit(dev, { ts: STOP, actor: { type: 'user', id: 'operator' }, action: 'cook_stop', reason: 'stopped by request', data: { cookId } }),
    event(dev, { ts: T0 + 2_400_000, type: 'reached', data: { targetC: 60 } }),
    event(dev, { ts: T0 + 3_000_000, type: 'sensor_fault', severity: 'alarm', safety: true, data: { kind: 'crc' } }),
    event(dev, {
      ts: T0 + 60_000,
      type: 'forecast',
      data: { cookId, readyAt: T0 + 2_400_000, doneAt: T0 + 6_000_000, safeAt: T0 + 4_000_000, readyBand: null, safety: null },
    }),
  ]);
  t.equal(r.status, 200);
});

t.test('GET /v1/cooks lists the cook in its range; GET /v1/cooks/{id} is its record', async (t) => {
  const list = await api(c.base, 'GET', `/v1/cooks?from=${T0 - 1000}&to=${T0 + 1000}`, creds.viewer);
  t.equal(list.status, 200);
  t.match(list.body.items, [{ id: cookId, deviceId: dev, state: 'stopped', version: 2, spec: { foodKind: 'poultry' } }]);
  t.same((await api(c.base, 'GET', `/v1/cooks?from=${T0 + 1000}&to=${T0 + 2000}`, creds.viewer)).body.items, [], 'not outside it');
  const bad = await api(c.base, 'GET', '/v1/cooks?from=10&to=5', creds.viewer);
  t.equal(bad.status, 400);
  t.same(bad.body.error.details, ['query.from: must be before query.to']);

  const rec = await api(c.base, 'GET', `/v1/cooks/${cookId}`, creds.viewer);
  t.equal(rec.status, 200);
  const stored = await pointsOf(c.cloud.stores, dev, T0, STOP);
  t.equal(rec.body.readings, stored.length, `the record covers the ${stored.length} stored readings`);
  t.match(rec.body, { startedTs: T0, endedTs: STOP, state: 'stopped', targetC: 60, food: { kind: 'poultry', thicknessMm: 15 } });
  t.same(rec.body.who, ['user oscar', 'user operator'], 'who set it in the cloud and who ran it');
  // 20 → 54.4 °C takes 206.4 of the 240 heat-up readings (every 10 s).
  const inDanger = stored.filter((p) => p.temperature !== null && p.temperature > 4.4 && p.temperature < 54.4).length;
  t.equal(rec.body.dangerZoneMs, inDanger * 10_000, `${inDanger} readings × 10 s in the danger zone`);
  const atTarget = stored.slice(0, -1).filter((p) => p.temperature !== null && p.temperature >= 59.5).length;
  t.equal(rec.body.atOrAboveTargetMs, atTarget * 10_000, 'time at or above the target');
  t.match(
    rec.body.lethality,
    { pasteurized: true, fraction: 1, pathogens: [{ name: 'Salmonella', needed: 7 }] },
    '80 min at 60 °C after the water was ready pasteurizes 15 mm',
  );
  t.equal(rec.body.foodInTs, T0 + 2_400_000, 'the food goes in at the first reached');
  t.equal(rec.body.lethality.fromTs, T0 + 2_400_000, 'the core model starts there');
  t.ok(rec.body.lethality.pasteurizedTs > T0 + 2_400_000, 'after the bath reached the target');
  t.same(rec.body.gaps, [], 'no gaps: a reading every 10 s');
  t.equal(rec.body.gapMs, 0);
  t.match(rec.body.segments, [{ fromTs: T0, targetC: 60, newCore: true }], 'one version of the spec');
  t.match(rec.body.alarms, [{ type: 'sensor_fault' }]);
  t.match(
    rec.body.actions.map((a: { action: string }) => a.action),
    ['cook.set', 'cook_start', 'cook_stop'],
    'the cloud call, then the gateway applying it, then the stop',
  );
  t.ok(rec.body.curve.length > 10 && rec.body.curve.length <= 300, `a curve of ${rec.body.curve.length} points`);
  t.equal((await api(c.base, 'GET', '/v1/cooks/cook-none', creds.viewer)).status, 404);
  t.equal((await api(c.base, 'GET', `/v1/cooks/${cookId}`)).status, 401, 'a key is needed');
});

t.test(
  'a record across a 3 h gap: no lethality credited for it, the gap counted as danger time and listed; a food change starts a new core',
  async (t) => {
    const kit = uid('kit').toLowerCase();
    const id = uid('cook');
    const food = { targetC: 62, foodKind: 'poultry' as const, foodShape: 'slab' as const, thicknessMm: 25 };
    const thinner = { ...food, thicknessMm: 20 };
    const rec = (version: number, state: 'heating' | 'holding' | 'stopped', s: typeof food, updatedTs: number) => ({
      kind: 'cook' as const,
      id: cookRecordId(id, version, state),
      deviceId: kit,
      version,
      state,
      spec: s,
      startedTs: T0,
      updatedTs,
    });
    // At 62 °C from T0 (the water ready at once) for 70 min: ~85 % of 7 log for 25 mm. Then the kit
    // is off for 3 h and comes back reading 30 °C for 10 min.
    const HOT = 70 * 60_000;
    const BACK = HOT + 3 * 3_600_000;
    const points = [
      ...Array.from({ length: HOT / 10_000 + 1 }, (_, i) => ({ ts: T0 + i * 10_000, tempC: 62 })),
      ...Array.from({ length: 61 }, (_, i) => ({ ts: T0 + BACK + i * 10_000, tempC: 30 })),
    ];
    const end = T0 + BACK + 600_000;
    const r = await ingest([
      ...points.map((p, i) => telemetry(kit, 1, i, { ts: p.ts, rxTs: p.ts + 5, tempC: p.tempC })),
      rec(1, 'heating', food, T0),
      rec(1, 'holding', food, T0),
      rec(2, 'holding', thinner, T0 + BACK + 300_000),
      rec(3, 'stopped', thinner, end + 1),
      event(kit, { ts: T0, type: 'reached', data: { targetC: 62 } }),
    ]);
    t.equal(r.status, 200);
    const before = await api(c.base, 'GET', `/v1/cooks/${id}`, creds.viewer);
    t.equal(before.status, 200);
    const body = before.body;
    const stored = await pointsOf(c.cloud.stores, kit, T0, end + 2);
    t.equal(body.readings, stored.length, 'the record covers the stored readings');
    t.same(body.gaps, [{ fromTs: T0 + HOT, toTs: T0 + BACK, fromC: 62, toC: 30 }], 'the gap, from the stored readings');
    t.equal(body.gapMs, 3 * 3_600_000);
    t.ok(
      body.dangerZoneMs >= 3 * 3_600_000 + 600_000,
      `the gap and the 10 min at 30 °C are danger time (${body.dangerZoneMs / 60_000} min)`,
    );
    t.equal(body.cores.length, 2, 'the thickness change started a new core');
    const first = body.cores[0];
    t.match(first, { fromTs: T0, toTs: T0 + BACK + 300_000, food: { thicknessMm: 25 } });
    t.equal(first.lethality.pasteurized, false, 'the 25 mm piece is not pasteurized: nothing credited across the gap');
    t.ok(first.lethality.fraction > 0.5 && first.lethality.fraction < 1, `reached ${first.lethality.fraction} before the gap`);
    t.equal(first.lethality.unobservedMs, 3 * 3_600_000);
    t.match(body.lethality, { pasteurized: false, fraction: 0, fromTs: T0 + BACK + 300_000 }, 'the 20 mm piece in a 30 °C bath');
    t.match(body.segments, [
      { fromTs: T0, newCore: true, food: { thicknessMm: 25 } },
      { fromTs: T0 + BACK + 300_000, newCore: true, food: { thicknessMm: 20 } },
    ]);
    // The list's default range is clamped at the epoch.
    const list = await api(c.base, 'GET', '/v1/cooks?to=1000', creds.viewer);
    t.equal(list.status, 200);
    t.equal(list.body.from, 0, 'from is 0, not negative');
  },
);

t.test('readings.csv streams the stored readings of a range with a header row', async (t) => {
  const res = await fetch(`${c.base}/v1/devices/${dev}/readings.csv?from=${T0}&to=${T0 + 7_200_000}`, {
    headers: { authorization: `Bearer ${creds.viewer}` },
  });
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /^text\/csv/);
  const lines = (await res.text()).trimEnd().split('\n');
  t.equal(lines[0], 'device_id,gateway_id,boot,seq,ts,temp_c,sensor,heater,rssi');
  const stored = await pointsOf(c.cloud.stores, dev, T0, T0 + 7_200_000);
  t.equal(stored.length, 720);
  t.same(
    lines.slice(1),
    stored.map((p) =>
      [p.deviceId, p.gatewayId, p.boot, p.seq, p.ts, p.temperature ?? '', p.sensor, p.heater ? 1 : 0, p.rssi ?? ''].join(','),
    ),
    'the CSV equals the stored readings, row for row (not buckets)',
  );
  const part = await api(c.base, 'GET', `/v1/devices/${dev}/readings.csv?from=${T0 + 10_000}&to=${T0 + 30_000}`, creds.viewer);
  t.equal(part.body.trimEnd().split('\n').length, 3, 'a sub-range: header + 2 rows');
  const bad = await api(c.base, 'GET', `/v1/devices/${dev}/readings.csv?from=soon`, creds.viewer);
  t.equal(bad.status, 400);
  t.match(bad.body.error.details, [/^query\.from: /]);
  t.equal((await api(c.base, 'GET', '/v1/devices/kit-unknown-1/readings.csv', creds.viewer)).status, 404);
});

t.test(
  'readings.csv pages through the store: a year-long range is a few queries, and readings that share a millisecond across pages come once each',
  async (t) => {
    // 12,000 readings, three to a millisecond (boots 1-3 of one seq), so pages of 5,000 end inside a millisecond.
    const busy = uid('kit').toLowerCase();
    const recs = Array.from({ length: 12_000 }, (_, i) => telemetry(busy, 1 + (i % 3), Math.floor(i / 3), { ts: T0 + Math.floor(i / 3) }));
    for (let i = 0; i < recs.length; i += 4000) t.equal((await ingest(recs.slice(i, i + 4000))).status, 200);
    const telemetryStore = c.cloud.stores.telemetry;
    const points = telemetryStore.points.bind(telemetryStore);
    let queries = 0;
    telemetryStore.points = (...args) => {
      queries++;
      return points(...args);
    };
    t.teardown(() => {
      telemetryStore.points = points;
    });
    const from = T0 - 365 * 86_400_000;
    const res = await fetch(`${c.base}/v1/devices/${busy}/readings.csv?from=${from}&to=${T0 + 365 * 86_400_000}`, {
      headers: { authorization: `Bearer ${creds.viewer}` },
    });
    t.equal(res.status, 200);
    const rows = (await res.text()).trimEnd().split('\n').slice(1);
    t.ok(queries <= 5, `the store was asked ${queries} times for 12,000 readings over two years (pages of 5,000, not windows of time)`);
    const stored = await pointsOf(c.cloud.stores, busy, from, T0 + 365 * 86_400_000);
    t.equal(stored.length, 12_000);
    t.equal(rows.length, 12_000, 'every reading once');
    t.equal(new Set(rows).size, 12_000, 'no reading twice');
    t.same(
      rows,
      stored.map((p) =>
        [p.deviceId, p.gatewayId, p.boot, p.seq, p.ts, p.temperature ?? '', p.sensor, p.heater ? 1 : 0, p.rssi ?? ''].join(','),
      ),
      'the CSV equals the stored readings, in order',
    );
  },
);

t.test('GET /v1/devices/{id} carries the forecast of the reported cook', async (t) => {
  const d = await api(c.base, 'GET', `/v1/devices/${dev}`, creds.viewer);
  t.match(d.body, { readyAt: null, doneAt: null, safeAt: null }, 'the cook was stopped: no forecast');
  const dev2 = uid('kit').toLowerCase();
  const id2 = uid('cook');
  await ingest([
    telemetry(dev2, 1, 1),
    {
      kind: 'cook',
      id: cookRecordId(id2, 1, 'heating'),
      deviceId: dev2,
      version: 1,
      state: 'heating',
      spec: { targetC: 57 },
      startedTs: T0,
      updatedTs: T0,
    },
    event(dev2, { ts: T0 + 5000, type: 'forecast', data: { cookId: id2, readyAt: T0 + 900_000, doneAt: null, safeAt: null } }),
  ]);
  const d2 = await api(c.base, 'GET', `/v1/devices/${dev2}`, creds.viewer);
  t.match(d2.body, {
    readyAt: T0 + 900_000,
    doneAt: null,
    safeAt: null,
    readyBand: null,
    safety: null,
    cook: { id: id2, state: 'heating' },
  });
});
