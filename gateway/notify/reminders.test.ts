import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import t from 'tap';
import { waitFor } from '../../test/harness/index.js';
import { ntfyReceiver } from '../../test/harness/notify-receivers.js';
import { STORE_FILE } from '../store/open.js';
import { startGateway, telemetry } from '../testing/fixture.js';

/**
 * A critical alarm (over-temperature) notifies, then again every notify.repeatMin on the control
 * clock until the event that clears it, also across a restart (the same alarm: ADR 081).
 */
t.test('an unresolved critical alarm repeats every repeatMin until cleared', async (t) => {
  const ntfy = await ntfyReceiver();
  await ntfy.start();
  t.teardown(() => ntfy.stop());
  let clock = Date.now();
  const dataDir = mkdtempSync(join(tmpdir(), 'sv-notify-rem-'));
  const cfg = { dataDir, 'notify.ntfyUrl': ntfy.url, 'notify.repeatMin': 1 };
  let gw = await startGateway(t, cfg, { now: () => clock });
  const secret = await gw.addKit('kit-hot');
  let seq = 0;
  const send = async (tempC: number) => {
    const kit = await gw.connect({ clientId: 'kit-hot', username: 'kit-hot', password: secret });
    for (let i = 0; i < 3; i++) await kit.publishAsync('sv/kit-hot/telemetry', telemetry({ seq: seq++, tempC, heater: false }), { qos: 1 });
    await kit.endAsync();
  };
  const ids = () => ntfy.received.map((n) => n.id ?? '');
  await send(97);
  await waitFor('the over-temperature notification', async () => (ids().length >= 1 ? true : undefined));
  const first = ids()[0] as string;
  t.equal(ntfy.received[0]?.priority, '5', 'critical: priority 5');
  t.match(ntfy.received[0]?.text, /too hot \(97\.0 °C/);
  clock += 61_000;
  await waitFor('the first reminder', async () => (ids().length >= 2 ? true : undefined));
  t.equal(ids()[1], `${first}~r1`, 'a reminder after repeatMin, with an id of its own');
  t.match(ntfy.received[1]?.text, /reminder 1/);

  await gw.stop();
  gw = await startGateway(t, cfg, { now: () => clock });
  const db = new Sqlite(join(dataDir, STORE_FILE), { readonly: true });
  t.teardown(() => db.close());
  await send(97); // still too hot: the same alarm, judged again by the watchdog (ADR 081)
  clock += 61_000;
  await waitFor('its next reminder', async () => (ids().length >= 3 ? true : undefined));
  t.same(ids(), [first, `${first}~r1`, `${first}~r2`], 'the alarm from before the restart goes on reminding; no new alarm');

  await send(40);
  await waitFor('the alarm cleared', async () => {
    const row = db.prepare("SELECT count(*) AS n FROM events WHERE type = 'over_temp_cleared'").get() as { n: number };
    return row.n > 0 ? true : undefined;
  });
  // Its end is told once (a notice of its own, not a reminder).
  await waitFor('the resolved notice', async () => (ntfy.received.some((n) => /^Resolved/.test(n.text ?? '')) ? true : undefined));
  const reminders = () => ids().filter((id) => id.includes('~r')).length;
  const before = reminders();
  clock += 10 * 61_000;
  await new Promise((r) => setTimeout(r, 6000)); // one reminder pass (every 5 s) with the clock far past repeatMin
  t.equal(reminders(), before, 'no reminder once the alarm is cleared');
});
