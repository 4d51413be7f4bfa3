import { statSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { PRESETS_FILE } from '../store/presets.js';
import { kitWithApi, startGateway } from '../testing/fixture.js';

/**
 * Cook records, forecasts and the readings CSV on a real gateway (MQTT/TLS kit, SQLite), offline:
 * every assertion compares the API's answer with the rows the gateway stored.
 */
t.test('a cook with a named food: forecasts, its record, and the raw readings as CSV', async (t) => {
  const gw = await startGateway(t, { 'cloud.url': 'http://127.0.0.1:9', 'cloud.token': 'svg_unreachable-cloud-token-0000' });
  const { kit, api } = await kitWithApi(t, gw, 'kit-rec');
  let heard = 0;
  gw.gateway.ingest.on('live', () => heard++);
  let seq = 0;
  const publish = async (tempC: number | null, sensor = 'ok') => {
    const want = heard + 1;
    kit.publish(
      'sv/kit-rec/telemetry',
      JSON.stringify({ v: 1, boot: 1, seq: seq++, ts: Date.now(), tempC, sensor, heater: false, rssi: -55 }),
      {
        qos: 1,
      },
    );
    while (heard < want) await new Promise((r) => setTimeout(r, 2));
  };
  const stored = () =>
    gw.db().prepare("SELECT * FROM telemetry WHERE device_id = 'kit-rec' ORDER BY rx_ts, boot, seq").all() as {
      rx_ts: number;
      seq: number;
      temp_c: number | null;
    }[];
  const committed = async (n: number) => {
    for (let i = 0; i < 500 && stored().length < n; i++) await new Promise((r) => setTimeout(r, 10));
  };

  for (let i = 0; i < 3; i++) await publish(20 + i * 0.0625);
  const bad = await api('PUT', '/v1/devices/kit-rec/cook', { targetC: 60, foodKind: 'tofu', thicknessMm: 1 });
  t.equal(bad.status, 400, 'an unknown food kind is refused');
  t.match(JSON.stringify(await bad.json()), /body\.foodKind.*body\.thicknessMm|body\.thicknessMm.*body\.foodKind/, 'naming each field');
  const started = await api('PUT', '/v1/devices/kit-rec/cook', {
    targetC: 60,
    durationMin: 90,
    food: 'chicken breast',
    foodKind: 'poultry',
    foodShape: 'slab',
    thicknessMm: 25,
  });
  t.equal(started.status, 200, 'a cook with a named food starts');
  const cookId = ((await started.json()) as { cook: { id: string } }).cook.id;
  for (let i = 0; i < 40; i++) await publish(20.5 + i * 0.25);
  for (let i = 0; i < 3; i++) await publish(null, 'disconnected'); // the watchdog's alarm for the record
  for (let i = 0; i < 5; i++) await publish(30 + i * 0.25);

  const view = (await (await api('GET', '/v1/devices/kit-rec')).json()) as Record<string, unknown>;
  t.type(view.readyAt, 'number', 'readyAt is an epoch ms while heating');
  t.ok((view.readyAt as number) > Date.now(), 'in the future');
  t.equal(view.doneAt, (view.readyAt as number) + 90 * 60_000, 'doneAt = readyAt + the timer');
  t.type(view.safeAt, 'number', 'safeAt is forecast for the named food');
  t.ok((view.safeAt as number) > (view.readyAt as number), 'after the water is ready');
  t.match(view.safety, { foodKind: 'poultry', pasteurized: false, never: false, guidance: /Guidance/ });

  const forecasts = gw.db().prepare("SELECT data FROM events WHERE type = 'forecast' AND device_id = 'kit-rec'").all() as {
    data: string;
  }[];
  t.ok(
    forecasts.some((f) => (JSON.parse(f.data) as { cookId: string; readyAt: unknown }).cookId === cookId),
    'the forecast was recorded as a forecast event',
  );
  const queued = gw.db().prepare("SELECT record FROM outbox WHERE kind = 'event'").all() as { record: string }[];
  t.ok(
    queued.some((r) => /"type":"forecast"/.test(r.record) && r.record.includes(cookId)),
    'and waits in the outbox for the cloud',
  );

  // A thicker piece named mid-cook: a cook_change, so a new segment and a new core in the record.
  await new Promise((r) => setTimeout(r, 5));
  const changed = await api('PUT', '/v1/devices/kit-rec/cook', {
    targetC: 60,
    durationMin: 90,
    food: 'chicken breast',
    foodKind: 'poultry',
    foodShape: 'slab',
    thicknessMm: 30,
  });
  t.equal(changed.status, 200, 'the food changed mid-cook');
  await publish(31.5);
  t.equal((await api('DELETE', '/v1/devices/kit-rec/cook')).status, 200);
  await committed(52);
  await new Promise((r) => setTimeout(r, 200)); // the stop's audit row commits after the readings

  const list = await api('GET', `/v1/cooks?from=${Date.now() - 600_000}`);
  t.equal(list.status, 200);
  const items = ((await list.json()) as { items: { id: string; deviceId: string; state: string; who: string[] }[] }).items;
  t.match(items, [{ id: cookId, deviceId: 'kit-rec', state: 'stopped', who: ['user operator'] }], 'the cook is listed with who ran it');
  t.notOk('specs' in (items[0] ?? {}), 'the list does not carry the spec versions');
  const empty = (await (await api('GET', `/v1/cooks?from=0&to=1000`)).json()) as { items: unknown[] };
  t.same(empty.items, [], 'and only within the range asked');
  const early = (await (await api('GET', '/v1/cooks?to=1000')).json()) as { from: number; to: number };
  t.same([early.from, early.to], [0, 1000], 'a default range is clamped at the epoch, never negative');
  const csvEarly = await api('GET', '/v1/devices/kit-rec/readings.csv?to=1000');
  t.equal(csvEarly.status, 200);
  t.match(csvEarly.headers.get('content-disposition'), /kit-rec-0-1000\.csv/, 'the CSV too');

  const rec = (await (await api('GET', `/v1/cooks/${cookId}`)).json()) as {
    readings: number;
    dangerZoneMs: number;
    atOrAboveTargetMs: number;
    targetC: number;
    food: { kind: string; thicknessMm: number };
    lethality: { pasteurized: boolean; fraction: number; guidance: string; fromTs: number | null };
    segments: { fromTs: number; newCore: boolean; food: { thicknessMm: number } }[];
    cores: unknown[];
    foodInTs: number | null;
    alarms: { type: string }[];
    actions: { action: string; actor: string }[];
    curve: { mean: number }[];
    startedTs: number;
    endedTs: number;
  };
  const during = stored().filter((r) => r.rx_ts >= rec.startedTs && r.rx_ts < rec.endedTs);
  t.equal(rec.readings, during.length, `the record counts the ${during.length} readings stored during the cook`);
  t.ok(rec.dangerZoneMs > 0 && rec.dangerZoneMs <= rec.endedTs - rec.startedTs, `time in the danger zone ${rec.dangerZoneMs} ms`);
  t.equal(rec.atOrAboveTargetMs, 0, 'never at the target');
  t.match(rec, { targetC: 60, food: { kind: 'poultry', thicknessMm: 30 }, lethality: { pasteurized: false, guidance: /guidance/ } });
  const audited = gw.db().prepare("SELECT ts, action FROM audit WHERE action IN ('cook_start', 'cook_change') ORDER BY ts, id").all() as {
    ts: number;
    action: string;
  }[];
  t.match(
    rec.segments,
    audited.map((a, i) => ({ fromTs: a.ts, newCore: true, food: { thicknessMm: i === 0 ? 25 : 30 } })),
    'a segment per version of the spec, from its audit row',
  );
  t.equal(rec.cores.length, 2, 'the thicker piece is a new core');
  t.equal(rec.foodInTs, null, 'the water was never ready: the food never went in');
  t.equal(rec.lethality?.fromTs, null);
  t.ok(
    rec.alarms.some((a) => a.type === 'sensor_fault'),
    'the probe fault is among the alarms',
  );
  t.match(
    rec.actions.map((a) => a.action),
    ['cook_start', /.*/],
    'actions start with the cook start',
  );
  t.ok(
    rec.actions.some((a) => a.action === 'cook_stop' && a.actor === 'user operator'),
    'and include the stop, by the operator',
  );
  const temps = during.map((r) => r.temp_c).filter((c): c is number => c !== null);
  t.ok(rec.curve.length > 0 && Math.max(...rec.curve.map((p) => p.mean)) <= Math.max(...temps), 'the curve lies within the readings');
  t.equal((await api('GET', '/v1/cooks/no-such-cook')).status, 404);
  const badId = await api('GET', '/v1/cooks/not%20an%20id');
  t.equal(badId.status, 400);

  // The CSV: header, then exactly the stored rows (all of them, then a sub-range).
  const rows = gw.db().prepare("SELECT * FROM telemetry WHERE device_id = 'kit-rec' ORDER BY rx_ts, boot, seq").all() as Record<
    string,
    number | string | null
  >[];
  const csv = await api('GET', `/v1/devices/kit-rec/readings.csv?from=0&to=${Date.now() + 1000}`);
  t.equal(csv.status, 200);
  t.match(csv.headers.get('content-type'), /^text\/csv/);
  const lines = (await csv.text()).trimEnd().split('\n');
  t.equal(lines[0], 'device_id,boot,seq,ts,rx_ts,temp_c,sensor,heater,rssi', 'a header row');
  const asCsv = (r: Record<string, number | string | null>) =>
    [r.device_id, r.boot, r.seq, r.ts, r.rx_ts, r.temp_c, r.sensor, r.heater, r.rssi].map((v) => (v === null ? '' : String(v))).join(',');
  t.same(lines.slice(1), rows.map(asCsv), `the CSV equals the ${rows.length} readings stored`);
  const mid = rows[10]!.rx_ts as number;
  const end = rows[20]!.rx_ts as number;
  const part = (await (await api('GET', `/v1/devices/kit-rec/readings.csv?from=${mid}&to=${end}`)).text()).trimEnd().split('\n');
  t.same(
    part.slice(1),
    rows.filter((r) => (r.rx_ts as number) >= mid && (r.rx_ts as number) < end).map(asCsv),
    'a range gives the rows received in [from, to)',
  );
  const badRange = await api('GET', '/v1/devices/kit-rec/readings.csv?from=20&to=10');
  t.equal(badRange.status, 400);
  t.match(await badRange.json(), { error: { code: 'SV_ERR_VALIDATION', details: ['query.from: must be before query.to'] } });
  const badNum = (await (await api('GET', '/v1/devices/kit-rec/readings.csv?from=yesterday')).json()) as { error: { details: string[] } };
  t.match(badNum.error.details, [/^query\.from: /], 'a malformed bound is named');
  t.equal((await fetch(`http://127.0.0.1:${gw.httpPort}/v1/cooks`)).status, 401, 'cook records need the operator token');

  // Presets: named food, target, time, thickness; a cook starts from one.
  const preset = { targetC: 63, durationMin: 75, food: 'chicken thighs', foodKind: 'poultry', foodShape: 'cylinder', thicknessMm: 35 };
  const badPreset = await api('PUT', '/v1/presets/Chicken Thighs', preset);
  t.equal(badPreset.status, 400);
  t.match(await badPreset.json(), { error: { details: [/^params\.name: /] } }, 'a bad preset name is named');
  const badSpec = await api('PUT', '/v1/presets/chicken-thighs', { ...preset, thicknessMm: 'thick' });
  t.match(await badSpec.json(), { error: { details: [/^body\.thicknessMm: /] } }, 'a bad preset field is named');
  t.equal((await api('PUT', '/v1/presets/chicken-thighs', preset)).status, 200);
  t.match(await (await api('GET', '/v1/presets')).json(), { items: [{ name: 'chicken-thighs', spec: preset }] }, 'listed');
  t.equal(statSync(join(gw.dataDir, PRESETS_FILE)).mode & 0o777, 0o600, 'the preset file is private (0600)');
  const fromPreset = await api('PUT', '/v1/devices/kit-rec/cook/preset/chicken-thighs');
  t.equal(fromPreset.status, 200, 'a cook starts from the preset');
  const running = (await (await api('GET', '/v1/devices/kit-rec')).json()) as { cook: { spec: unknown; state: string } };
  t.same(running.cook.spec, preset, 'with the preset as its spec');
  t.equal((await api('PUT', '/v1/devices/kit-rec/cook/preset/no-such')).status, 404);
  t.equal((await api('DELETE', '/v1/presets/chicken-thighs')).status, 204);
  t.same(((await (await api('GET', '/v1/presets')).json()) as { items: unknown[] }).items, [], 'deleted');
  t.equal((await api('DELETE', '/v1/presets/chicken-thighs')).status, 404);
});
