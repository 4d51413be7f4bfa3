import type { Packet } from 'mqtt-packet';
import t from 'tap';
import { misplacedProperty } from './properties.js';

t.test('properties a packet type does not allow are named; allowed ones pass', async (t) => {
  const publish = (properties: Record<string, unknown>) =>
    ({
      cmd: 'publish',
      topic: 'sv/kit-a/telemetry',
      payload: Buffer.from('{}'),
      qos: 1,
      messageId: 1,
      retain: false,
      dup: false,
      properties,
    }) as Packet;
  t.equal(misplacedProperty(publish({ topicAlias: 1, userProperties: { a: 'b' }, contentType: 'application/json' })), undefined);
  t.equal(misplacedProperty(publish({ sessionExpiryInterval: 16 })), 'publish.sessionExpiryInterval');
  t.equal(
    misplacedProperty(publish({ subscriptionIdentifier: 3 })),
    'publish.subscriptionIdentifier',
    'a client PUBLISH may not carry one',
  );
  t.equal(
    misplacedProperty({ cmd: 'subscribe', messageId: 1, subscriptions: [], properties: { subscriptionIdentifier: 3 } } as Packet),
    undefined,
  );
  t.equal(misplacedProperty({ cmd: 'pingreq' } as Packet), undefined);
  t.equal(misplacedProperty({ cmd: 'pingreq', properties: { userProperties: {} } } as unknown as Packet), 'pingreq.userProperties');
  const connect = (will: Record<string, unknown>) =>
    ({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'kit-a', clean: true, keepalive: 30, will }) as Packet;
  t.equal(
    misplacedProperty(connect({ topic: 'sv/kit-a/status', payload: Buffer.from('{}'), properties: { willDelayInterval: 5 } })),
    undefined,
  );
  t.equal(
    misplacedProperty(connect({ topic: 'sv/kit-a/status', payload: Buffer.from('{}'), properties: { topicAlias: 5 } })),
    'connect.will.topicAlias',
  );
});
