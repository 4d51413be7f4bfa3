import type { ErrorWithReasonCode } from 'mqtt';
import type { ISubackPacket } from 'mqtt-packet';
import t from 'tap';
import { counter, startGateway, telemetry } from '../../testing/fixture.js';
import { connectV5 } from './testing.js';

t.test('MQTT 5 ACL: a refused publish or subscribe gets 0x87, the connection stays open, the refusal is counted', async (t) => {
  const gw = await startGateway(t);
  const secret = await gw.addKit('kit-v5p');
  await gw.addKit('kit-v5q');
  const c = await connectV5(gw, 'kit-v5p', secret);
  t.teardown(() => c.end(true));
  let closes = 0;
  c.on('close', () => closes++);
  const stored = () => gw.db().prepare('SELECT seq FROM telemetry WHERE device_id = ? ORDER BY seq').all('kit-v5p');
  const subacks: number[][] = [];
  c.on('packetreceive', (p) => {
    if (p.cmd === 'suback') subacks.push((p as ISubackPacket).granted as number[]);
  });

  for (const topic of ['sv/kit-v5q/telemetry', 'sv/kit-v5p/cmd', 'a/b']) {
    const err = await c.publishAsync(topic, telemetry({ seq: 99 }), { qos: 1 }).then(
      () => null,
      (e: ErrorWithReasonCode) => e,
    );
    t.equal(err?.code, 0x87, `publish to ${topic}: PUBACK 0x87`);
  }
  await c.publishAsync('sv/kit-v5q/status', '{}', { qos: 0 }); // QoS 0: no answer, still refused and counted
  await c.publishAsync('sv/kit-v5p/telemetry', telemetry({ seq: 1 }), { qos: 1 });
  t.same(stored(), [{ seq: 1 }], 'the connection stayed open: the next valid publish is acknowledged and stored');

  for (const filter of ['#', 'sv/+/cmd', 'sv/kit-v5q/cmd', '$share/g/sv/kit-v5p/cmd']) {
    const err = await c.subscribeAsync(filter, { qos: 1 }).then(
      () => null,
      (e: ErrorWithReasonCode) => e,
    );
    t.ok(err, `subscribe to ${filter} is refused`);
  }
  t.same(subacks, [[0x87], [0x87], [0x87], [0x87]], 'each SUBACK says 0x87 (not authorized)');
  subacks.length = 0;
  await c.subscribeAsync(['sv/kit-v5p/cmd', 'sv/kit-v5q/cmd'], { qos: 1 }).catch(() => {});
  t.same(subacks, [[1, 0x87]], 'a mixed SUBSCRIBE: its own cmd topic granted (QoS 1), the other refused, in order');
  await c.publishAsync('sv/kit-v5p/telemetry', telemetry({ seq: 2 }), { qos: 1 });
  t.same(stored(), [{ seq: 1 }, { seq: 2 }], 'still connected and storing');
  t.equal(closes, 0, 'never disconnected');
  t.ok(c.connected);

  const m = await gw.metrics();
  t.equal(counter(m, 'acl_denied_total', 'publish'), 4, 'every refused publish counted (QoS 0 too)');
  t.equal(counter(m, 'acl_denied_total', 'subscribe'), 5, 'every refused filter counted');
  t.equal(counter(m, 'protocol_error_total'), 0);
  t.equal(
    (gw.db().prepare("SELECT count(*) AS n FROM telemetry WHERE device_id <> 'kit-v5p'").get() as { n: number }).n,
    0,
    'nothing stored for the refused publishes',
  );
  const events = () =>
    gw.db().prepare("SELECT device_id AS id, detail FROM security_events WHERE kind = 'acl_denied' ORDER BY id").all() as {
      id: string;
      detail: string;
    }[];
  for (let i = 0; i < 50 && events().length < 9; i++) await new Promise((r) => setTimeout(r, 50));
  t.same(
    events().map((e) => `${e.id} ${e.detail}`),
    [
      'kit-v5p publish sv/kit-v5q/telemetry',
      'kit-v5p publish sv/kit-v5p/cmd',
      'kit-v5p publish a/b',
      'kit-v5p publish sv/kit-v5q/status',
      'kit-v5p subscribe #',
      'kit-v5p subscribe sv/+/cmd',
      'kit-v5p subscribe sv/kit-v5q/cmd',
      'kit-v5p subscribe $share/g/sv/kit-v5p/cmd',
      'kit-v5p subscribe sv/kit-v5q/cmd',
    ],
    "each refusal is in the security log, as a 3.1.1 client's would be",
  );
});

t.test('MQTT 5: a flood of refused publishes is held to the publish rate: counted, recorded, disconnected', async (t) => {
  const gw = await startGateway(t, { 'mqtt.publishRatePerDevice': 1, 'mqtt.publishBurstPerDevice': 5 });
  const secret = await gw.addKit('kit-v5f');
  const c = await connectV5(gw, 'kit-v5f', secret);
  t.teardown(() => c.end(true));
  c.on('error', () => {});
  let disconnectReason: number | undefined;
  c.on('packetreceive', (p) => {
    if (p.cmd === 'disconnect') disconnectReason = p.reasonCode;
  });
  const gone = new Promise<void>((resolve) => c.once('close', () => resolve()));
  for (let i = 0; i < 20; i++) c.publish('sv/someone-else/telemetry', telemetry({ seq: i }), { qos: 0 });
  await gone;
  const m = await gw.metrics();
  t.equal(counter(m, 'acl_denied_total', 'publish'), 5, 'the burst of 5 was refused one by one (0x87)');
  t.equal(counter(m, 'rate_limited_total', 'publish'), 1, 'the sixth went over the rate: counted once');
  t.equal(counter(m, 'protocol_error_total'), 0, 'and not also as a protocol error');
  t.equal(disconnectReason, 0x96, 'the DISCONNECT says why: 0x96 message rate too high');
  const events = () => gw.db().prepare("SELECT kind FROM security_events WHERE kind = 'rate_limited'").all();
  for (let i = 0; i < 50 && events().length < 1; i++) await new Promise((r) => setTimeout(r, 50));
  t.same(events(), [{ kind: 'rate_limited' }], 'recorded in the security log');
});
