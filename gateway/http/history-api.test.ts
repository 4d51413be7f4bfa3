import t from 'tap';
import { revokeDevice } from '../devices/registry.js';
import { openStore } from '../store/open.js';
import { kitWithApi, startGateway } from '../testing/fixture.js';

/**
 * The gateway's history route on a real gateway (MQTT/TLS kit, SQLite), offline: the cloud's bucket
 * shape from the readings the gateway stored, with the heater's on-share and the cook's target
 * steps from its audit trail (start, change, stop).
 */
t.test('history buckets: readings, heater share and target steps from the SQLite store', async (t) => {
  const gw = await startGateway(t, {});
  const { kit, api } = await kitWithApi(t, gw, 'kit-hist');
  const pause = () => new Promise((r) => setTimeout(r, 5)); // each step in its own millisecond
  let seq = 0;
  const stored = () => (gw.db().prepare("SELECT COUNT(*) AS n FROM telemetry WHERE device_id = 'kit-hist'").get() as { n: number }).n;
  const publish = async (heater: boolean) => {
    kit.publish(
      'sv/kit-hist/telemetry',
      JSON.stringify({ v: 1, boot: 1, seq: seq++, ts: Date.now(), tempC: 40 + seq / 10, sensor: 'ok', heater, rssi: -50 }),
      { qos: 1 },
    );
    for (let i = 0; i < 500 && stored() < seq; i++) await new Promise((r) => setTimeout(r, 5));
    await pause();
  };

  const from = Date.now() - 1;
  for (const h of [false, false, false]) await publish(h);
  t.equal((await api('PUT', '/v1/devices/kit-hist/cook', { targetC: 60, durationMin: 30 })).status, 200, 'cook at 60 °C');
  await pause();
  for (const h of [true, true, true]) await publish(h);
  t.equal((await api('PUT', '/v1/devices/kit-hist/cook', { targetC: 58, durationMin: 30 })).status, 200, 'changed to 58 °C');
  await pause();
  for (const h of [true, true, false]) await publish(h);
  t.equal((await api('DELETE', '/v1/devices/kit-hist/cook')).status, 200, 'stopped');
  await pause();
  for (const h of [false, false]) await publish(h);
  const to = Date.now() + 1;

  // One bucket per millisecond: each reading on its own, with the target in effect when it arrived.
  const fine = await api('GET', `/v1/devices/kit-hist/telemetry?from=${from}&to=${to}&every=1ms`);
  t.equal(fine.status, 200);
  const body = (await fine.json()) as {
    deviceId: string;
    everyMs: number;
    buckets: { ts: number; mean: number; count: number; heaterOn: number; targetC: number | null }[];
  };
  t.match(body, { deviceId: 'kit-hist', everyMs: 1 });
  const rows = gw.db().prepare("SELECT rx_ts, temp_c, heater FROM telemetry WHERE device_id = 'kit-hist' ORDER BY rx_ts").all() as {
    rx_ts: number;
    temp_c: number;
    heater: number;
  }[];
  t.same(
    body.buckets.map((b) => [b.ts, b.mean, b.count, b.heaterOn]),
    rows.map((r) => [r.rx_ts, r.temp_c, 1, r.heater]),
    'every stored reading, with its heater state',
  );
  t.same(
    body.buckets.map((b) => b.targetC),
    [null, null, null, 60, 60, 60, 58, 58, 58, null, null],
    'the target steps: none before the cook, 60, 58 after the change, none after the stop',
  );

  // Coarse: the shares add up.
  const day = (await (await api('GET', `/v1/devices/kit-hist/telemetry?from=${from}&to=${to}&every=1d`)).json()) as typeof body;
  t.equal(
    day.buckets.reduce((n, b) => n + b.count, 0),
    11,
    'all eleven readings',
  );
  t.equal(Math.round(day.buckets.reduce((n, b) => n + b.count * b.heaterOn, 0)), 5, 'five of them with the heater on');

  for (const [query, field] of [
    ['every=0ms', 'query.every'],
    ['every=5%20minutes', 'query.every'],
    [`from=${to}&to=${from}`, 'query.from'],
    [`from=0&to=${to}&every=1ms`, 'query.every'],
    ['bogus=1', 'query.bogus'],
  ] as const) {
    const res = await api('GET', `/v1/devices/kit-hist/telemetry?${query}`);
    t.equal(res.status, 400, `${query} is refused`);
    t.match(((await res.json()) as { error: { details: string[] } }).error.details.join(), field, `naming ${field}`);
  }
  t.equal((await fetch(`http://127.0.0.1:${gw.httpPort}/v1/devices/kit-hist/telemetry`)).status, 401, 'the operator token is required');
});

t.test('history of a device the registry does not have: 404 like GET /v1/devices/{id}; a revoked kit keeps its history', async (t) => {
  const gw = await startGateway(t, {});
  const { kit, api } = await kitWithApi(t, gw, 'kit-gone');
  const stored = () => (gw.db().prepare("SELECT COUNT(*) AS n FROM telemetry WHERE device_id = 'kit-gone'").get() as { n: number }).n;
  kit.publish('sv/kit-gone/telemetry', JSON.stringify({ v: 1, boot: 1, seq: 0, ts: Date.now(), tempC: 41, sensor: 'ok', heater: false }), {
    qos: 1,
  });
  for (let i = 0; i < 500 && stored() < 1; i++) await new Promise((r) => setTimeout(r, 5));
  const range = `from=${Date.now() - 3_600_000}&to=${Date.now() + 1000}`;
  const device = await api('GET', '/v1/devices/kit-nobody');
  t.equal(device.status, 404, 'the device route: 404');
  const expected = await device.json();
  for (const path of [`/v1/devices/kit-nobody/telemetry?${range}&every=1d`, `/v1/devices/kit-nobody/readings.csv?${range}`]) {
    const res = await api('GET', path);
    t.equal(res.status, 404, `${path}: 404`);
    t.same(await res.json(), expected, 'the same answer as the device route: params.id: no such device');
  }
  t.match(expected, { error: { details: ['params.id: no such device'] } });

  kit.end(true);
  const db = openStore(gw.dataDir);
  revokeDevice(db, 'kit-gone');
  db.close();
  const hist = await api('GET', `/v1/devices/kit-gone/telemetry?${range}&every=1d`);
  t.equal(hist.status, 200, 'a revoked kit: its history is still served');
  t.equal(
    ((await hist.json()) as { buckets: { count: number }[] }).buckets.reduce((n, b) => n + b.count, 0),
    1,
    'with its reading',
  );
  const csv = await api('GET', `/v1/devices/kit-gone/readings.csv?${range}`);
  t.equal(csv.status, 200);
  t.equal((await csv.text()).trimEnd().split('\n').length, 2, 'the header and its reading');
});
