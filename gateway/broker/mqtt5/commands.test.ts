import type { IPublishPacket } from 'mqtt-packet';
import t from 'tap';
import { startGateway } from '../../testing/fixture.js';
import { aedesOf, connectV5, publishCommand, unacked } from './testing.js';

const command = (id: string, pad = '') => JSON.stringify({ v: 1, id, op: 'press', expect: 'on', ttlMs: 5000, ...(pad ? { pad } : {}) });

t.test('MQTT 5: a kit receives its commands as v5 PUBLISH (QoS 1); its PUBACK reaches the broker', async (t) => {
  const gw = await startGateway(t);
  const secret = await gw.addKit('kit-v5k');
  // A persistent session (Clean Start 0), so that Aedes keeps an unacknowledged command in flight;
  // the kit holds its PUBACK until the test lets it go.
  let release: (() => void) | undefined;
  const arrived = new Promise<IPublishPacket>((resolve) => {
    connectV5(gw, 'kit-v5k', secret, {
      clean: false,
      customHandleAcks: (_topic, _message, packet, done) => {
        release = () => done(0);
        resolve(packet);
      },
    }).then((c) => {
      t.teardown(() => c.end(true));
      return c.subscribeAsync('sv/kit-v5k/cmd', { qos: 1 }).then((granted) => {
        t.same(
          granted.map((g) => g.qos),
          [1],
          'its own cmd topic is granted at QoS 1',
        );
        return publishCommand(gw, 'kit-v5k', command('c-1'));
      });
    }, t.threw);
  });
  const acked = new Promise<{ topic: string; messageId: number | undefined }>((resolve) =>
    aedesOf(gw).on('ack', (packet, client) => {
      if (client?.id === 'kit-v5k' && packet && 'topic' in packet) resolve({ topic: packet.topic, messageId: packet.messageId });
    }),
  );

  const p = await arrived;
  t.equal(p.topic, 'sv/kit-v5k/cmd');
  t.equal(p.qos, 1, 'delivered at QoS 1');
  t.equal(JSON.parse(p.payload.toString()).id, 'c-1', 'the command payload is intact');
  t.equal(await unacked(gw, 'kit-v5k'), 1, 'before the PUBACK, Aedes holds it in flight');
  release?.();
  t.same(await acked, { topic: 'sv/kit-v5k/cmd', messageId: p.messageId }, "Aedes received the kit's PUBACK for that message id");
  t.equal(await unacked(gw, 'kit-v5k'), 0, 'nothing left in flight: no redelivery');
});

t.test('MQTT 5: UNSUBSCRIBE is answered with one reason code per filter, and commands stop', async (t) => {
  const gw = await startGateway(t);
  const secret = await gw.addKit('kit-v5u');
  const c = await connectV5(gw, 'kit-v5u', secret);
  t.teardown(() => c.end(true));
  await c.subscribeAsync('sv/kit-v5u/cmd', { qos: 1 });
  const unsuback = (await c.unsubscribeAsync(['sv/kit-v5u/cmd', 'sv/kit-v5u/other'])) as { granted?: number[]; reasonCodes?: number[] };
  t.same(unsuback.reasonCodes ?? unsuback.granted, [0, 0], 'UNSUBACK reason codes (0x00 for each filter)');
  const got: string[] = [];
  c.on('message', (topic) => got.push(topic));
  await publishCommand(gw, 'kit-v5u', command('c-after'));
  await c.publishAsync('sv/kit-v5u/telemetry', '{"v":1,"boot":0,"seq":0,"ts":null,"tempC":50,"sensor":"ok","heater":false}', { qos: 1 });
  t.same(got, [], 'no command after the unsubscribe (a round trip later)');
});

t.test("MQTT 5: a command larger than the kit's Maximum Packet Size is not sent, and not left in flight", async (t) => {
  const gw = await startGateway(t);
  const secret = await gw.addKit('kit-v5m');
  const c = await connectV5(gw, 'kit-v5m', secret, { clean: false, properties: { maximumPacketSize: 200 } });
  t.teardown(() => c.end(true));
  const errors: Error[] = [];
  c.on('error', (e) => errors.push(e));
  await c.subscribeAsync('sv/kit-v5m/cmd', { qos: 1 });
  const ids: string[] = [];
  const small = new Promise<void>((resolve) =>
    c.on('message', (_t, payload) => {
      ids.push(JSON.parse(payload.toString()).id);
      resolve();
    }),
  );
  await publishCommand(gw, 'kit-v5m', command('c-big', 'x'.repeat(300)));
  await publishCommand(gw, 'kit-v5m', command('c-small'));
  await small;
  t.same(ids, ['c-small'], 'only the command that fits arrived (the big one was discarded, MQTT 5 §3.1.2.11.4)');
  t.same(errors, [], 'the client never saw a packet above its limit');
  t.ok(c.connected, 'and stays connected');
  for (let i = 0; i < 100 && (await unacked(gw, 'kit-v5m')) > 0; i++) await new Promise((r) => setTimeout(r, 10));
  t.equal(await unacked(gw, 'kit-v5m'), 0, 'Aedes holds neither command in flight');
});
