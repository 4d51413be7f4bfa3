import t from 'tap';
import { counter, startGateway, telemetry } from '../testing/fixture.js';

t.test('strict parsing: bad payloads are acknowledged, dead-lettered, never stored as telemetry', async (t) => {
  const gw = await startGateway(t);
  const secret = await gw.addKit('kit-in1');
  const c = await gw.connect({ clientId: 'kit-in1', username: 'kit-in1', password: secret });
  t.teardown(() => c.end(true));
  const bad = [
    { name: 'malformed JSON', payload: '{"v":1,"boot":', reason: /not valid JSON/ },
    { name: 'unknown field', payload: telemetry({ seq: 1, humidity: 3 }), reason: /humidity: unknown field/ },
    { name: 'wrong type', payload: telemetry({ seq: 2, tempC: 'hot' }), reason: /tempC: / },
    {
      name: 'status with a wrong state',
      payload: '{"v":1,"state":"zzz","boot":1,"fw":"1","profile":"toggle"}',
      reason: /state: /,
      topic: 'sv/kit-in1/status',
    },
  ];
  for (const b of bad) {
    const ack = await c.publishAsync(b.topic ?? 'sv/kit-in1/telemetry', b.payload, { qos: 1 });
    t.ok(ack, `${b.name}: PUBACK received (the device will not resend it forever)`);
  }
  const rows = gw.db().prepare('SELECT device_id, topic, code, reason, payload FROM dead_letters ORDER BY id').all() as {
    device_id: string;
    topic: string;
    code: string;
    reason: string;
    payload: Buffer;
  }[];
  t.equal(rows.length, bad.length, 'every bad payload is in the dead-letter store');
  bad.forEach((b, i) => {
    t.match(rows[i]?.reason, b.reason, `${b.name}: the reason names the field`);
    t.equal(rows[i]?.payload.toString(), b.payload, `${b.name}: the raw payload is kept`);
    t.equal(rows[i]?.device_id, 'kit-in1');
  });
  t.equal((gw.db().prepare('SELECT count(*) AS n FROM telemetry').get() as { n: number }).n, 0, 'nothing reached the telemetry table');
  const m = await gw.metrics();
  t.equal(counter(m, 'parse_fail_total'), 4);
  t.equal(counter(m, 'parse_fail_total', 'humidity'), 1);
});

t.test('idempotency: a replayed (device, boot, seq) is acknowledged and stored once', async (t) => {
  const gw = await startGateway(t);
  const secret = await gw.addKit('kit-in2');
  const c = await gw.connect({ clientId: 'kit-in2', username: 'kit-in2', password: secret });
  t.teardown(() => c.end(true));
  const heard: number[] = [];
  gw.gateway.ingest.on('telemetry', (_id, m) => heard.push(m.seq));
  const controlSaw = () => gw.gateway.control.view('kit-in2')?.last;
  const first = telemetry({ boot: 3, seq: 10, tempC: 56.0625, rssi: -60 });
  await c.publishAsync('sv/kit-in2/telemetry', first, { qos: 1 });
  const seen = controlSaw();
  t.match(seen, { boot: 3, seq: 10, tempC: 56.0625 }, 'control has the reading');
  await c.publishAsync('sv/kit-in2/telemetry', telemetry({ boot: 3, seq: 10, tempC: 99 }), { qos: 1 });
  t.same(controlSaw(), seen, 'control hears each record once: the replay (99 °C) is not taken as a new reading');
  await c.publishAsync('sv/kit-in2/telemetry', telemetry({ boot: 4, seq: 10, tempC: 57 }), { qos: 1 });
  t.match(controlSaw(), { boot: 4, seq: 10, tempC: 57 }, 'a new boot with the same seq reaches control');
  const rows = gw.db().prepare('SELECT boot, seq, temp_c, rssi, sensor, heater FROM telemetry ORDER BY boot').all();
  t.same(
    rows,
    [
      { boot: 3, seq: 10, temp_c: 56.0625, rssi: -60, sensor: 'ok', heater: 1 },
      { boot: 4, seq: 10, temp_c: 57, rssi: null, sensor: 'ok', heater: 1 },
    ],
    'the first copy is kept; a new boot with the same seq is a new record',
  );
  t.same(heard, [10, 10], 'the committed-reading event fires once per record (the replay is not passed on)');
  t.equal(counter(await gw.metrics(), 'duplicate_total'), 1);
});

t.test('QoS 0 is best effort and counted separately; the Last Will arrives as an offline status', async (t) => {
  const gw = await startGateway(t);
  const secret = await gw.addKit('kit-in3');
  const c = await gw.connect({
    clientId: 'kit-in3',
    username: 'kit-in3',
    password: secret,
    will: {
      topic: 'sv/kit-in3/status',
      payload: Buffer.from('{"v":1,"state":"offline","boot":2,"fw":"1.0.0","profile":"toggle"}'),
      qos: 1,
      retain: true,
    },
  });
  await c.publishAsync('sv/kit-in3/telemetry', telemetry({ seq: 1 }), { qos: 0 });
  // A QoS 1 publish behind it on the same connection: its PUBACK means the QoS 0 one was handled.
  await c.publishAsync('sv/kit-in3/status', '{"v":1,"state":"online","boot":2,"fw":"1.0.0","profile":"toggle"}', { qos: 1, retain: true });
  const offline = new Promise<string>((resolve) => gw.gateway.ingest.on('status', (_id, m) => m.state === 'offline' && resolve(m.state)));
  c.stream.destroy(); // an unclean disconnect: the broker publishes the will
  t.equal(await offline, 'offline');
  const status = gw.db().prepare('SELECT state, boot FROM device_status WHERE device_id = ?').get('kit-in3');
  t.same(status, { state: 'offline', boot: 2 });
  await new Promise((r) => setTimeout(r, 100));
  const m = await gw.metrics();
  t.equal(counter(m, 'qos0_recv_total'), 1);
  t.equal((gw.db().prepare('SELECT count(*) AS n FROM telemetry').get() as { n: number }).n, 1, 'the QoS 0 reading was stored');
});

t.test('the Last Will also arrives when the gateway ends the session (a publish outside the ACL)', async (t) => {
  const gw = await startGateway(t);
  const secret = await gw.addKit('kit-in4');
  const c = await gw.connect({
    clientId: 'kit-in4',
    username: 'kit-in4',
    password: secret,
    will: {
      topic: 'sv/kit-in4/status',
      payload: Buffer.from('{"v":1,"state":"offline","boot":5,"fw":"1.0.0","profile":"toggle"}'),
      qos: 1,
      retain: true,
    },
  });
  c.on('error', () => {});
  await c.publishAsync('sv/kit-in4/status', '{"v":1,"state":"online","boot":5,"fw":"1.0.0","profile":"toggle"}', { qos: 1, retain: true });
  const offline = new Promise<string>((resolve) => gw.gateway.ingest.on('status', (_id, m) => m.state === 'offline' && resolve(m.state)));
  c.publish('sv/other-kit/telemetry', telemetry(), { qos: 1 }); // refused: MQTT 3.1.1 closes the connection
  t.equal(await offline, 'offline', 'the will was ingested');
  for (let i = 0; i < 40; i++) {
    const s = gw.db().prepare('SELECT state FROM device_status WHERE device_id = ?').get('kit-in4') as { state: string } | undefined;
    if (s?.state === 'offline') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  t.same(
    gw.db().prepare('SELECT state, boot FROM device_status WHERE device_id = ?').get('kit-in4'),
    { state: 'offline', boot: 5 },
    'and stored',
  );
  c.end(true);
});
