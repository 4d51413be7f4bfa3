import t from 'tap';
import { Command } from '../../shared/protocol/messages.js';
import { waitFor } from '../../test/harness/index.js';
import { ntfyReceiver } from '../../test/harness/notify-receivers.js';
import { startGateway, telemetry } from '../testing/fixture.js';
import type { CommandSender } from './command-sender.js';

/**
 * ADR 088: a kit that restarted mid-press and answers `in-doubt` raises one `kit_in_doubt` alarm,
 * stored and notified, however many commands it refuses so; the gateway presses nothing for it.
 * Real gateway, real MQTT over TLS.
 */
t.test('in-doubt Acks raise one kit_in_doubt alarm and no press', async (t) => {
  const ntfy = await ntfyReceiver();
  await ntfy.start();
  t.teardown(() => ntfy.stop());
  const gw = await startGateway(t, {
    'notify.ntfyUrl': ntfy.url,
    'cloud.url': 'http://127.0.0.1:9',
    'cloud.token': 'svg_unreachable-cloud-token-0000',
    'control.ackTimeoutMs': 2000,
  });
  const secret = await gw.addKit('kit-doubt');
  const kit = await gw.connect({ clientId: 'kit-doubt', username: 'kit-doubt', password: secret });
  t.teardown(() => kit.end(true));
  const received: Command[] = [];
  kit.on('message', (_topic, payload) => {
    const cmd = Command.parse(JSON.parse(payload.toString()));
    received.push(cmd);
    kit.publish('sv/kit-doubt/ack', JSON.stringify({ v: 1, id: cmd.id, ok: false, heater: false, err: 'in-doubt' }), { qos: 1 });
  });
  await kit.subscribeAsync('sv/kit-doubt/cmd', { qos: 1 });
  await kit.publishAsync('sv/kit-doubt/telemetry', telemetry({ boot: 4, seq: 0, tempC: 56 }), { qos: 1 });

  const sender = (gw.gateway.control as unknown as { sender: CommandSender }).sender;
  const until = async (ok: () => boolean, what: string) => {
    for (let i = 0; i < 500 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
    t.ok(ok(), what);
  };
  for (let i = 0; i < 3; i++) {
    sender.send('kit-doubt', { kind: 'safe', reason: 'test' });
    await until(() => sender.inFlight === 0, `safe ${i + 1} answered`);
  }
  t.equal(sender.stats.refused, 3, 'three refusals');
  await new Promise((r) => setTimeout(r, 300)); // the events' commit
  const events = gw.db().prepare("SELECT severity, data FROM events WHERE device_id = 'kit-doubt' AND type = 'kit_in_doubt'").all() as {
    severity: string;
    data: string;
  }[];
  t.same(
    events.map((e) => [e.severity, JSON.parse(e.data)]),
    [['alarm', { op: 'safe', heater: 'off' }]],
    'one alarm, not one per refusal',
  );
  const alarms = gw.db().prepare("SELECT type FROM alarms WHERE device_id = 'kit-doubt'").all() as { type: string }[];
  t.same(
    alarms.map((a) => a.type),
    ['kit_in_doubt'],
    'raised as an alarm for a person',
  );
  await waitFor('the notification', async () => (ntfy.received.length >= 1 ? true : undefined));
  await new Promise((r) => setTimeout(r, 300));
  t.equal(ntfy.received.length, 1, 'notified once');
  t.match(ntfy.received[0], { priority: '4', text: /restarted while it was pressing.*Check the cooker now/ });
  t.same(
    received.filter((c) => c.op === 'press'),
    [],
    'no press answers the doubt',
  );
});
