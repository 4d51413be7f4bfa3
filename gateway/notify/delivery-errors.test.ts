import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { capturedLogger, freePort, waitFor } from '../../test/harness/index.js';
import { kitWithApi, startGateway, telemetry } from '../testing/fixture.js';

/**
 * A failed delivery's error is logged, stored and served by GET /v1/notifications: it names the
 * cause (ECONNREFUSED, the receiver's status) and never the configured URL, whose path, query or
 * user info carry the receiver's token or password.
 */
const HOOK_TOKEN = 'hooktoken-5f1e2d3c4b';
const NTFY_PASS = 'ntfy-pass-9a8b7c';

interface Row {
  channel: string;
  state: string;
  attempts: number;
  lastError: string | null;
}

async function failedDeliveries(
  t: Test,
  overrides: Record<string, unknown>,
  channels: string[],
): Promise<{ rows: Row[]; stored: string[]; logs: string }> {
  const { log, lines } = capturedLogger('gateway-test');
  const gw = await startGateway(t, overrides, {}, log);
  const { kit, token } = await kitWithApi(t, gw, 'kit-err');
  // A probe that stops reading raises a sensor fault, which notifies every channel.
  for (let seq = 0; seq < 5; seq++)
    await kit.publishAsync('sv/kit-err/telemetry', telemetry({ seq, sensor: 'disconnected', tempC: null, heater: false }), { qos: 1 });
  const rows = await waitFor('a failed attempt on every channel', async () => {
    const r = await fetch(`http://127.0.0.1:${gw.httpPort}/v1/notifications?limit=100`, { headers: { authorization: `Bearer ${token}` } });
    const items = ((await r.json()) as { items: Row[] }).items.filter((i) => i.lastError !== null);
    return channels.every((c) => items.some((i) => i.channel === c)) ? items : undefined;
  });
  const stored = (
    gw.db().prepare('SELECT last_error AS e FROM notify_deliveries WHERE last_error IS NOT NULL').all() as { e: string }[]
  ).map((r) => r.e);
  return { rows, stored, logs: lines.join('') };
}

t.test('a webhook and an ntfy topic on a closed port: ECONNREFUSED, and neither URL nor its secrets', async (t) => {
  const port = await freePort();
  const hookUrl = `http://127.0.0.1:${port}/hooks/${HOOK_TOKEN}?token=${HOOK_TOKEN}`;
  const ntfyUrl = `http://cook:${NTFY_PASS}@127.0.0.1:${port}/kitchen-topic-x`;
  const { rows, stored, logs } = await failedDeliveries(
    t,
    { 'notify.webhookUrl': hookUrl, 'notify.webhookSecret': 'whsec-errors-0123456789', 'notify.ntfyUrl': ntfyUrl },
    ['webhook', 'ntfy'],
  );
  for (const row of rows) t.equal(row.lastError, 'fetch failed: ECONNREFUSED', `${row.channel}: the API names the cause`);
  t.ok(stored.length >= 2, 'the errors are stored');
  for (const e of stored) t.equal(e, 'fetch failed: ECONNREFUSED', 'stored as served');
  t.match(logs, /notification not delivered/, 'the failures are logged');
  for (const text of [JSON.stringify(rows), stored.join('\n'), logs]) {
    t.notMatch(text, new RegExp(`${HOOK_TOKEN}|${NTFY_PASS}|kitchen-topic-x`), 'no token, password or topic');
  }
});

t.test('a receiver that repeats the URL in its answer: its status and words, the URL hidden', async (t) => {
  const receiver = createServer((req, res) => {
    req.resume();
    res.writeHead(404, { 'content-type': 'text/plain' }).end(`no hook at ${req.url} (http://${req.headers.host}${req.url})`);
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => receiver.close(() => r())));
  const port = (receiver.address() as AddressInfo).port;
  const hookUrl = `http://127.0.0.1:${port}/hooks/${HOOK_TOKEN}?token=${HOOK_TOKEN}`;
  const { rows, stored, logs } = await failedDeliveries(
    t,
    { 'notify.webhookUrl': hookUrl, 'notify.webhookSecret': 'whsec-errors-0123456789' },
    ['webhook'],
  );
  t.equal(rows[0]?.lastError, 'HTTP 404: no hook at <url> (<url>)', 'status and answer, the URL replaced');
  t.ok(stored.length >= 1);
  for (const text of [JSON.stringify(rows), stored.join('\n'), logs]) t.notMatch(text, HOOK_TOKEN, 'no token');
});
