import t from 'tap';
import { counter, startGateway, telemetry } from '../../testing/fixture.js';
import { connectV5 } from './testing.js';

t.test('MQTT 5: telemetry QoS 1 is acknowledged (reason 0) after its commit, stored once; a replay is a duplicate', async (t) => {
  const gw = await startGateway(t);
  const secret = await gw.addKit('kit-v5a');
  const c = await connectV5(gw, 'kit-v5a', secret);
  t.teardown(() => c.end(true));
  const rows = () => gw.db().prepare('SELECT boot, seq, temp_c FROM telemetry WHERE device_id = ?').all('kit-v5a');
  // The row must be in the store at the very moment the PUBACK packet reaches the kit.
  const atPuback: unknown[] = [];
  c.on('packetreceive', (p) => {
    if (p.cmd === 'puback') atPuback.push({ reasonCode: p.reasonCode ?? 0, rows: rows() });
  });

  const first = telemetry({ boot: 2, seq: 7, tempC: 56.5 });
  await c.publishAsync('sv/kit-v5a/telemetry', first, { qos: 1 });
  t.same(atPuback, [{ reasonCode: 0, rows: [{ boot: 2, seq: 7, temp_c: 56.5 }] }], 'reason 0x00, and the row was committed before it left');

  await c.publishAsync('sv/kit-v5a/telemetry', telemetry({ boot: 2, seq: 7, tempC: 99 }), { qos: 1 });
  t.same(rows(), [{ boot: 2, seq: 7, temp_c: 56.5 }], 'the replay of (kit-v5a, 2, 7) is acknowledged and not stored again');
  const pubcomps: number[] = [];
  c.on('packetreceive', (p) => {
    if (p.cmd === 'pubcomp') pubcomps.push(p.reasonCode ?? 0);
  });
  await c.publishAsync('sv/kit-v5a/telemetry', telemetry({ boot: 2, seq: 8, tempC: 57 }), { qos: 2 });
  t.same(pubcomps, [0], 'QoS 2 completes (PUBREC, PUBREL, PUBCOMP translated both ways)');
  t.same(
    rows(),
    [
      { boot: 2, seq: 7, temp_c: 56.5 },
      { boot: 2, seq: 8, temp_c: 57 },
    ],
    'and is stored',
  );
  const m = await gw.metrics();
  t.equal(counter(m, 'duplicate_total'), 1, 'counted as a duplicate');
  t.equal(counter(m, 'protocol_error_total'), 0);
});

t.test('MQTT 5: client → server topic aliases are resolved; properties are dropped', async (t) => {
  const gw = await startGateway(t);
  const secret = await gw.addKit('kit-v5b');
  const c = await connectV5(gw, 'kit-v5b', secret);
  t.teardown(() => c.end(true));
  await c.publishAsync('sv/kit-v5b/telemetry', telemetry({ seq: 1 }), {
    qos: 1,
    properties: { topicAlias: 1, messageExpiryInterval: 60, userProperties: { a: 'b' }, contentType: 'application/json' },
  });
  await c.publishAsync('', telemetry({ seq: 2 }), { qos: 1, properties: { topicAlias: 1 } });
  t.same(
    gw.db().prepare('SELECT seq FROM telemetry WHERE device_id = ? ORDER BY seq').all('kit-v5b'),
    [{ seq: 1 }, { seq: 2 }],
    'the aliased publish (empty topic) reached sv/kit-v5b/telemetry',
  );
  t.equal(counter(await gw.metrics(), 'parse_fail_total'), 0, 'both payloads parsed (nothing dead-lettered)');
});

const offline = '{"v":1,"state":"offline","boot":4,"fw":"1.0.0","profile":"toggle"}';
const online = '{"v":1,"state":"online","boot":4,"fw":"1.0.0","profile":"toggle"}';

t.test('MQTT 5 DISCONNECT: reason 0x04 publishes the Will, a normal one (0x00) does not', async (t) => {
  const gw = await startGateway(t);
  const state = (id: string) => (gw.db().prepare('SELECT state FROM device_status WHERE device_id = ?').get(id) as { state: string }).state;
  for (const [id, reasonCode, expected] of [
    ['kit-v5w', 0x04, 'offline'],
    ['kit-v5n', 0x00, 'online'],
  ] as const) {
    const secret = await gw.addKit(id);
    const c = await connectV5(gw, id, secret, {
      will: { topic: `sv/${id}/status`, payload: Buffer.from(offline), qos: 1, retain: true, properties: { willDelayInterval: 0 } },
    });
    await c.publishAsync(`sv/${id}/status`, online, { qos: 1, retain: true });
    const gone = new Promise<void>((r) => c.once('close', () => r()));
    const willSeen = new Promise<string>((resolve) => gw.gateway.ingest.on('status', (sid, m) => sid === id && resolve(m.state)));
    c.end(false, { reasonCode });
    await gone;
    if (expected === 'offline') t.equal(await willSeen, 'offline', `${id}: the Will arrived`);
    else await new Promise((r) => setTimeout(r, 300)); // no Will to wait for: give a wrongly published one time to land
    t.equal(state(id), expected, `DISCONNECT 0x${reasonCode.toString(16).padStart(2, '0')}: status ${expected}`);
  }
});
