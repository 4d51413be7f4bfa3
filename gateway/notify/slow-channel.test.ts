import t from 'tap';
import { waitFor } from '../../test/harness/index.js';
import { ntfyReceiver, stallingReceiver } from '../../test/harness/notify-receivers.js';
import { startGateway, telemetry } from '../testing/fixture.js';

/**
 * A webhook that never answers (its server hangs, or the internet is down and the packets go
 * nowhere) holds back only its own channel: the kitchen's ntfy hears a second kit's probe fault
 * while the webhook is still on the first one (each webhook row takes the 15 s send timeout).
 */
t.test("a channel that hangs does not hold back the kitchen's other channel", async (t) => {
  const stall = await stallingReceiver();
  const ntfy = await ntfyReceiver();
  await ntfy.start();
  const gw = await startGateway(t, {
    'notify.webhookUrl': stall.url,
    'notify.webhookSecret': 'whsec-slow-0123456789',
    'notify.ntfyUrl': ntfy.url,
  });
  // Registered after the gateway's own: they run first, so the gateway's stop does not wait on a hanging send.
  t.teardown(async () => {
    await stall.stop();
    await ntfy.stop();
  });
  const probeFault = async (id: string) => {
    const kit = await gw.connect({ clientId: id, username: id, password: await gw.addKit(id) });
    t.teardown(() => kit.endAsync());
    for (let seq = 0; seq < 5; seq++)
      await kit.publishAsync(`sv/${id}/telemetry`, telemetry({ seq, sensor: 'disconnected', tempC: null, heater: false }), { qos: 1 });
  };
  await probeFault('kit-one');
  await waitFor('the first fault at ntfy and at the hanging webhook', async () =>
    ntfy.received.length >= 1 && stall.arrived() >= 1 ? true : undefined,
  );
  await probeFault('kit-two');
  // Generous: a wait, not a timing assertion. Before channels had lanes, ntfy waited for the webhook's timeout.
  await waitFor("the second kit's fault at ntfy", async () => (ntfy.received.length >= 2 ? true : undefined), 12_000);
  t.same(
    ntfy.received.map((n) => /kit-one|kit-two/.exec(n.title ?? '')?.[0]),
    ['kit-one', 'kit-two'],
    'ntfy heard both kits, in order',
  );
  t.equal(stall.arrived(), 1, 'the webhook is still on its first row');
  const rows = gw.db().prepare("SELECT channel, state FROM notify_deliveries WHERE channel = 'webhook'").all() as { state: string }[];
  t.same(
    rows.map((r) => r.state),
    ['pending', 'pending'],
    "the webhook's two rows still wait",
  );
});
