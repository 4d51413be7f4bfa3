import t from 'tap';
import { waitFor } from '../../test/harness/index.js';
import { ntfyReceiver } from '../../test/harness/notify-receivers.js';
import { startGateway, telemetry } from '../testing/fixture.js';

/**
 * A notified alarm that clears is told once, on the LAN: the water too hot, then back below its
 * limit, reaches a real ntfy endpoint as the alarm and then one "Resolved" notice.
 */
t.test('the end of a notified over-temperature alarm reaches the receiver once', async (t) => {
  const ntfy = await ntfyReceiver();
  await ntfy.start();
  t.teardown(() => ntfy.stop());
  let clock = Date.now();
  const gw = await startGateway(t, { 'notify.ntfyUrl': ntfy.url }, { now: () => clock });
  const secret = await gw.addKit('kit-res');
  const kit = await gw.connect({ clientId: 'kit-res', username: 'kit-res', password: secret });
  t.teardown(() => kit.endAsync());
  let seq = 0;
  const send = async (tempC: number, n = 3) => {
    for (let i = 0; i < n; i++) await kit.publishAsync('sv/kit-res/telemetry', telemetry({ seq: seq++, tempC, heater: false }), { qos: 1 });
  };
  const cleared = () => (gw.db().prepare("SELECT count(*) AS n FROM events WHERE type = 'over_temp_cleared'").get() as { n: number }).n;

  await send(97);
  await waitFor('the over-temperature notification', async () => (ntfy.received.length >= 1 ? true : undefined));
  clock += 61_000; // the water cools over a minute (not a reading that jumps)
  await send(40);
  await waitFor('the alarm cleared', async () => (cleared() > 0 ? true : undefined));
  await waitFor('the resolved notice', async () => (ntfy.received.length >= 2 ? true : undefined));
  await send(40, 5);
  await new Promise((r) => setTimeout(r, 1500)); // three delivery passes: nothing more comes

  t.same(
    ntfy.received.map((n) => n.title),
    ['CRITICAL alarm: kit-res', 'Resolved: kit-res'],
    'the alarm, then one resolved notice',
  );
  t.match(ntfy.received[1], { priority: '3', text: /^Resolved: the water is back below its limit \(40\.0 °C\)\.$/ });
  const rows = gw.db().prepare('SELECT type, severity FROM notifications ORDER BY ts').all();
  t.same(
    rows,
    [
      { type: 'over_temp', severity: 'critical' },
      { type: 'over_temp_cleared', severity: 'info' },
    ],
    'the store holds the alarm and its end',
  );
});
