import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite, { type Database } from 'better-sqlite3';
import t from 'tap';
import { waitFor } from '../../test/harness/index.js';
import { ntfyReceiver } from '../../test/harness/notify-receivers.js';
import { issueOperatorToken, tokenFilePath } from '../http/operator-token.js';
import { STORE_FILE } from '../store/open.js';
import { type GatewayFixture, startGateway, telemetry } from '../testing/fixture.js';

/**
 * The gateway restarts (same data dir) while a notified alarm stands (ADR 081): its end after the
 * restart is told once, its reminders go on, and a condition still there is not told again as new.
 * Real gateway, real TLS kit, real ntfy receiver; only the control clock is fake.
 */

/** A read-only view of the store in `dataDir` (the fixture's own `db()` is of its default data dir). */
function storeOf(t: { teardown(fn: () => void): void }, dataDir: string): Database {
  const db = new Sqlite(join(dataDir, STORE_FILE), { readonly: true });
  t.teardown(() => db.close());
  return db;
}
const cleared = (db: Database) =>
  (db.prepare("SELECT count(*) AS n FROM events WHERE type = 'over_temp_cleared'").get() as { n: number }).n;

async function kitSender(gw: () => GatewayFixture, id: string, secret: string) {
  let seq = 0;
  return async (tempC: number, n = 3) => {
    const kit = await gw().connect({ clientId: id, username: id, password: secret });
    for (let i = 0; i < n; i++) await kit.publishAsync(`sv/${id}/telemetry`, telemetry({ seq: seq++, tempC, heater: false }), { qos: 1 });
    await kit.endAsync();
  };
}

t.test('an over-temperature notified before a restart that ends after it is told "Resolved" once', async (t) => {
  const ntfy = await ntfyReceiver();
  await ntfy.start();
  t.teardown(() => ntfy.stop());
  let clock = Date.now();
  const dataDir = mkdtempSync(join(tmpdir(), 'sv-notify-restart-'));
  const cfg = { dataDir, 'notify.ntfyUrl': ntfy.url };
  let gw = await startGateway(t, cfg, { now: () => clock });
  const secret = await gw.addKit('kit-rs');
  const send = await kitSender(() => gw, 'kit-rs', secret);
  const db = storeOf(t, dataDir);

  await send(97);
  await waitFor('the over-temperature notification', async () => (ntfy.received.length >= 1 ? true : undefined));
  const alarmId = ntfy.received[0]?.id as string;

  await gw.stop();
  gw = await startGateway(t, cfg, { now: () => clock });
  clock += 61_000; // the water cooled while the gateway was down
  await send(40);
  await waitFor('the alarm cleared', async () => (cleared(db) > 0 ? true : undefined));
  await waitFor('the resolved notice', async () => (ntfy.received.length >= 2 ? true : undefined));
  await send(40, 5);
  await new Promise((r) => setTimeout(r, 1500)); // three delivery passes: nothing more comes

  t.same(
    ntfy.received.map((n) => n.title),
    ['CRITICAL alarm: kit-rs', 'Resolved: kit-rs'],
    'the alarm before the restart, one resolved notice after it',
  );
  t.match(ntfy.received[1]?.text, /^Resolved: the water is back below its limit \(40\.0 °C\)\.$/);
  const row = db.prepare('SELECT cleared_ts, cleared_how FROM alarms WHERE id = ?').get(alarmId) as Record<string, unknown>;
  t.match(row, { cleared_how: 'over_temp_cleared' }, 'the alarm row from before the restart is cleared');
  t.not(row.cleared_ts, null);
  t.equal((db.prepare('SELECT count(*) AS n FROM alarms').get() as { n: number }).n, 1, 'one alarm row');
});

t.test('water still too hot after a restart: no second alarm notice, then one "Resolved"', async (t) => {
  const ntfy = await ntfyReceiver();
  await ntfy.start();
  t.teardown(() => ntfy.stop());
  let clock = Date.now();
  const dataDir = mkdtempSync(join(tmpdir(), 'sv-notify-restart-'));
  const cfg = { dataDir, 'notify.ntfyUrl': ntfy.url };
  let gw = await startGateway(t, cfg, { now: () => clock });
  const secret = await gw.addKit('kit-hot2');
  const send = await kitSender(() => gw, 'kit-hot2', secret);
  const db = storeOf(t, dataDir);

  await send(97);
  await waitFor('the over-temperature notification', async () => (ntfy.received.length >= 1 ? true : undefined));
  const alarmId = ntfy.received[0]?.id as string;
  await gw.stop();
  gw = await startGateway(t, cfg, { now: () => clock });
  await send(97); // the condition is still there
  const overTemps = () => (db.prepare("SELECT count(*) AS n FROM events WHERE type = 'over_temp'").get() as { n: number }).n;
  await waitFor('the watchdog judged the reading', async () => (overTemps() >= 2 ? true : undefined));
  await new Promise((r) => setTimeout(r, 1500)); // three delivery passes
  t.equal(ntfy.received.length, 1, 'the standing alarm is not told again as new');
  // The latest by insertion: both events carry the same (fake) clock time.
  const again = db.prepare("SELECT data FROM events WHERE type = 'over_temp' ORDER BY rowid DESC LIMIT 1").get() as {
    data: string;
  };
  t.match(JSON.parse(again.data), { continues: alarmId }, 'the tripped-again event names the alarm it continues');

  clock += 61_000;
  await send(40);
  await waitFor('the resolved notice', async () => (ntfy.received.length >= 2 ? true : undefined));
  await new Promise((r) => setTimeout(r, 1500));
  t.same(
    ntfy.received.map((n) => n.title),
    ['CRITICAL alarm: kit-hot2', 'Resolved: kit-hot2'],
  );
  const alarms = db.prepare('SELECT id, cleared_how FROM alarms').all();
  t.same(alarms, [{ id: alarmId, cleared_how: 'over_temp_cleared' }], 'one alarm, cleared');
});

t.test('an unacknowledged critical alarm keeps its reminders across a restart; an acknowledgement after it stops them', async (t) => {
  const ntfy = await ntfyReceiver();
  await ntfy.start();
  t.teardown(() => ntfy.stop());
  let clock = Date.now();
  const dataDir = mkdtempSync(join(tmpdir(), 'sv-notify-restart-'));
  const cfg = { dataDir, 'notify.ntfyUrl': ntfy.url, 'notify.repeatMin': 1 };
  let gw = await startGateway(t, cfg, { now: () => clock });
  const secret = await gw.addKit('kit-rem');
  const send = await kitSender(() => gw, 'kit-rem', secret);
  const ids = () => ntfy.received.map((n) => n.id ?? '');

  await send(97);
  await waitFor('the over-temperature notification', async () => (ids().length >= 1 ? true : undefined));
  const first = ids()[0] as string;
  clock += 61_000;
  await waitFor('the first reminder', async () => (ids().includes(`${first}~r1`) ? true : undefined));

  await gw.stop();
  gw = await startGateway(t, cfg, { now: () => clock });
  clock += 61_000; // no reading needed: the reminder is the gateway's own
  await waitFor('the second reminder, after the restart', async () => (ids().includes(`${first}~r2`) ? true : undefined));
  t.match(ntfy.received.at(-1)?.text, /^Still not resolved \(reminder 2, since /);
  await send(97);
  clock += 61_000;
  await waitFor('the third reminder', async () => (ids().includes(`${first}~r3`) ? true : undefined));
  t.same(ids(), [first, `${first}~r1`, `${first}~r2`, `${first}~r3`], 'one alarm, its reminders in order, nothing new');

  const token = issueOperatorToken(tokenFilePath(dataDir));
  const res = await fetch(`http://127.0.0.1:${gw.httpPort}/v1/alarms/${first}/ack`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ note: 'on it' }),
  });
  t.equal(res.status, 200, 'the alarm from before the restart is acknowledged');
  await gw.stop();
  gw = await startGateway(t, cfg, { now: () => clock });
  clock += 10 * 61_000;
  await new Promise((r) => setTimeout(r, 6000)); // one reminder pass (every 5 s) far past repeatMin
  t.equal(ids().length, 4, 'acknowledged before another restart: no more reminders');
});
