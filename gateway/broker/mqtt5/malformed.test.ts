import mqttPacket, { type IDisconnectPacket, type Packet } from 'mqtt-packet';
import t from 'tap';
import { counter, startGateway } from '../../testing/fixture.js';
import { rawV5, v5Connect } from './testing.js';

const v5 = (p: Packet) => mqttPacket.generate(p, { protocolVersion: 5 });
const publish = (topic: string, topicAlias?: number): Packet => ({
  cmd: 'publish',
  topic,
  payload: Buffer.from('{}'),
  qos: 1,
  messageId: 1,
  retain: false,
  dup: false,
  ...(topicAlias === undefined ? {} : { properties: { topicAlias } }),
});
/** A v5 PUBLISH whose property list holds an identifier that does not exist (0x7f). */
function unknownProperty(): Buffer {
  const topic = Buffer.from('sv/kit-v5x/telemetry');
  const body = Buffer.concat([Buffer.from([0, topic.length]), topic, Buffer.from([0, 1]), Buffer.from([2, 0x7f, 0]), Buffer.from('{}')]);
  return Buffer.concat([Buffer.from([0x32, body.length]), body]);
}

const cases: { name: string; bytes: () => Buffer; reasonCode: number }[] = [
  { name: 'a reserved packet type (0)', bytes: () => Buffer.from([0x00, 0x02, 0xde, 0xad]), reasonCode: 0x81 },
  { name: 'an unknown property identifier', bytes: unknownProperty, reasonCode: 0x81 },
  { name: 'a second CONNECT', bytes: () => v5(v5Connect('kit-v5x', 'whatever')), reasonCode: 0x82 },
  {
    name: 'an AUTH packet',
    bytes: () => v5({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'x' } }),
    reasonCode: 0x82,
  },
  { name: 'a topic alias of 0', bytes: () => v5(publish('sv/kit-v5x/telemetry', 0)), reasonCode: 0x94 },
  { name: 'a topic alias above the maximum (8)', bytes: () => v5(publish('sv/kit-v5x/telemetry', 9)), reasonCode: 0x94 },
  { name: 'an alias that was never set', bytes: () => v5(publish('', 3)), reasonCode: 0x82 },
  { name: 'a wildcard in a PUBLISH topic', bytes: () => v5(publish('sv/kit-v5x/#')), reasonCode: 0x90 },
];

t.test('MQTT 5: malformed bytes or protocol violations after CONNECT close the connection, counted once', async (t) => {
  const gw = await startGateway(t, { 'auth.failureDelayMs': 0 });
  const secret = await gw.addKit('kit-v5x');
  const stored = () => (gw.db().prepare('SELECT count(*) AS n FROM telemetry').get() as { n: number }).n;
  for (const c of cases) {
    const before = await gw.metrics();
    const raw = await rawV5(gw);
    raw.send(v5Connect('kit-v5x', secret));
    t.equal((await raw.connack()).reasonCode, 0, `${c.name}: connected first`);
    raw.send(c.bytes());
    await raw.closed;
    const after = await gw.metrics();
    const moved = (name: string, reason?: string) => counter(after, name, reason) - counter(before, name, reason);
    t.equal(moved('protocol_error_total', 'malformed'), 1, `${c.name}: the gateway closed the connection, protocol_error{malformed} +1`);
    t.equal(moved('protocol_error_total'), 1, `${c.name}: counted once`);
    t.equal(moved('acl_denied_total') + moved('auth_failed_total'), 0, `${c.name}: under no other reason`);
    const disconnect = raw.packets.find((p): p is IDisconnectPacket => p.cmd === 'disconnect');
    t.equal(disconnect?.reasonCode, c.reasonCode, `${c.name}: DISCONNECT 0x${c.reasonCode.toString(16)} before closing`);
  }
  t.equal(stored(), 0, 'nothing was stored');
});

t.test('MQTT 5: garbage right behind the CONNECT (before CONNACK) is counted once, never as an authentication', async (t) => {
  const gw = await startGateway(t, { 'auth.failureDelayMs': 0 });
  const secret = await gw.addKit('kit-v5y');
  for (const [what, password] of [
    ['right secret', secret],
    ['wrong secret', 'svk_wrong'],
  ] as const) {
    const before = await gw.metrics();
    const raw = await rawV5(gw);
    raw.send(Buffer.concat([v5(v5Connect('kit-v5y', password)), Buffer.from([0xf0, 0x03, 0x01, 0x02, 0x03])]));
    await raw.closed;
    await new Promise((r) => setTimeout(r, 200)); // an authentication still running must not count it again
    const after = await gw.metrics();
    const moved = (name: string) => counter(after, name) - counter(before, name);
    t.equal(moved('protocol_error_total'), 1, `${what}: protocol_error +1`);
    t.equal(moved('auth_failed_total') + moved('auth_ok_total'), 0, `${what}: and nothing else`);
  }
});

t.test('MQTT 5: the packet guard still closes a connection on a packet above mqtt.maxPacketBytes', async (t) => {
  const gw = await startGateway(t, { 'mqtt.maxPacketBytes': 1024 });
  const secret = await gw.addKit('kit-v5g');
  const raw = await rawV5(gw);
  raw.send(v5Connect('kit-v5g', secret));
  const connack = await raw.connack();
  t.equal(connack.reasonCode, 0);
  t.equal(connack.properties?.maximumPacketSize, 1024, 'the CONNACK announces the limit');
  raw.send(
    v5({
      cmd: 'publish',
      topic: 'sv/kit-v5g/telemetry',
      payload: Buffer.alloc(5000, 0x20),
      qos: 1,
      messageId: 2,
      retain: false,
      dup: false,
    }),
  );
  await raw.closed;
  const m = await gw.metrics();
  t.equal(counter(m, 'packet_too_large_total'), 1, 'counted as packet_too_large');
  t.equal(counter(m, 'protocol_error_total'), 0, 'and nothing else');
  t.equal(counter(m, 'mqtt_recv_total'), 0, 'the body never reached the broker');
});
