import t from 'tap';
import { waitFor } from '../../test/harness/index.js';
import { ntfyReceiver } from '../../test/harness/notify-receivers.js';
import { issueOperatorToken, tokenFilePath } from '../http/operator-token.js';
import { startGateway, telemetry } from '../testing/fixture.js';

/**
 * An unacknowledged critical alarm notifies again every notify.repeatMin; once a person acknowledges
 * it (POST /v1/alarms/{id}/ack), the reminders stop although its cause is still there.
 */
t.test('an acknowledged critical alarm stops repeating', async (t) => {
  const ntfy = await ntfyReceiver();
  await ntfy.start();
  t.teardown(() => ntfy.stop());
  let clock = Date.now();
  const gw = await startGateway(t, { 'notify.ntfyUrl': ntfy.url, 'notify.repeatMin': 1 }, { now: () => clock });
  const token = issueOperatorToken(tokenFilePath(gw.dataDir));
  const secret = await gw.addKit('kit-ack');
  const kit = await gw.connect({ clientId: 'kit-ack', username: 'kit-ack', password: secret });
  t.teardown(() => kit.endAsync());
  for (let seq = 0; seq < 3; seq++)
    await kit.publishAsync('sv/kit-ack/telemetry', telemetry({ seq, tempC: 97, heater: false }), { qos: 1 });
  const ids = () => ntfy.received.map((n) => n.id ?? '');
  await waitFor('the over-temperature notification', async () => (ids().length >= 1 ? true : undefined));
  const first = ntfy.received.find((n) => /too hot/.test(n.text ?? ''))?.id as string;
  t.ok(first, 'the over-temperature alarm notified');
  clock += 61_000;
  await waitFor('the first reminder', async () => (ids().includes(`${first}~r1`) ? true : undefined));

  const res = await fetch(`http://127.0.0.1:${gw.httpPort}/v1/alarms/${first}/ack`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ note: 'on it' }),
  });
  t.equal(res.status, 200);
  t.match(await res.json(), { id: first, state: 'acknowledged', type: 'over_temp' }, 'the alarm id is the notification id');
  const before = ids().filter((id) => id.startsWith(first)).length;
  clock += 10 * 61_000;
  await new Promise((r) => setTimeout(r, 6000)); // one reminder pass (every 5 s) with the clock far past repeatMin
  t.equal(ids().filter((id) => id.startsWith(first)).length, before, 'no reminder once acknowledged');
  const row = gw.db().prepare('SELECT cleared_ts FROM alarms WHERE id = ?').get(first) as { cleared_ts: number | null };
  t.equal(row.cleared_ts, null, 'its cause is still there: acknowledged, not cleared');
});
