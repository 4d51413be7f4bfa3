import t from 'tap';
import { connackReason, connectToV4, mergeSuback, plainPublish, RC, subackCode, TopicAliases } from './translate.js';

t.test('CONNACK return codes map to MQTT 5 reason codes', async (t) => {
  t.same([0, 1, 2, 3, 4, 5].map(connackReason), [0x00, 0x84, 0x85, 0x88, 0x86, 0x87]);
  t.equal(connackReason(6), RC.unspecified, 'anything else: unspecified error');
});

t.test('CONNECT v5 → 3.1.1', async (t) => {
  const r = connectToV4({
    cmd: 'connect',
    protocolVersion: 5,
    clientId: 'kit-a1',
    clean: true,
    keepalive: 30,
    username: 'kit-a1',
    password: Buffer.from('s'),
    properties: { sessionExpiryInterval: 60, receiveMaximum: 10, maximumPacketSize: 512, userProperties: { a: 'b' } },
    will: { topic: 'sv/kit-a1/status', payload: Buffer.from('x'), qos: 1, retain: true, properties: { willDelayInterval: 5 } },
  });
  t.same(r, {
    ok: true,
    packet: {
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clientId: 'kit-a1',
      clean: true,
      keepalive: 30,
      username: 'kit-a1',
      password: Buffer.from('s'),
      will: { topic: 'sv/kit-a1/status', payload: Buffer.from('x'), qos: 1, retain: true },
    },
  });
  t.same(connectToV4({ cmd: 'connect', clientId: 'kit-a1', properties: { authenticationMethod: 'SCRAM' } }), {
    ok: false,
    reasonCode: 0x8c,
    reason: 'bad_auth_method',
  });
  t.same(connectToV4({ cmd: 'connect', clientId: '', clean: false }), { ok: false, reasonCode: 0x85, reason: 'bad_client_id' });
});

t.test('PUBLISH loses its properties; SUBACK codes merge in order', async (t) => {
  const p = plainPublish(
    {
      cmd: 'publish',
      topic: '',
      payload: 'x',
      qos: 1,
      messageId: 9,
      retain: true,
      dup: false,
      properties: { topicAlias: 2, messageExpiryInterval: 5 },
    },
    'sv/kit-a1/status',
  );
  t.same(p, { cmd: 'publish', topic: 'sv/kit-a1/status', payload: 'x', qos: 1, messageId: 9, retain: true, dup: false });
  t.same(mergeSuback([1, 0x80], [true, false, true, false]), [0x87, 1, 0x87, 0x80]);
  t.same([0, 1, 2, 0x80].map(subackCode), [0, 1, 2, 0x80]);
});

t.test('topic aliases', async (t) => {
  const a = new TopicAliases(2);
  t.same(a.resolve('sv/kit-a1/telemetry', undefined), { topic: 'sv/kit-a1/telemetry' });
  t.same(a.resolve('', undefined), { reasonCode: 0x82 }, 'an empty topic without an alias');
  t.same(a.resolve('', 1), { reasonCode: 0x82 }, 'an alias never set');
  t.same(a.resolve('sv/kit-a1/telemetry', 1), { topic: 'sv/kit-a1/telemetry' }, 'set');
  t.same(a.resolve('', 1), { topic: 'sv/kit-a1/telemetry' }, 'used');
  t.same(a.resolve('sv/kit-a1/ack', 1), { topic: 'sv/kit-a1/ack' }, 'replaced');
  t.same(a.resolve('', 1), { topic: 'sv/kit-a1/ack' });
  t.same(a.resolve('x', 0), { reasonCode: 0x94 }, 'alias 0');
  t.same(a.resolve('x', 3), { reasonCode: 0x94 }, 'above the maximum');
});
