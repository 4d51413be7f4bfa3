import { execFileSync } from 'node:child_process';
import { chromium, type Request } from 'playwright-core';
import t from 'tap';
import { openSse } from '../../shared/stream/sse-client.js';
import { BINARIES, findBinary } from '../../test/harness/packages.js';
import { issueOperatorToken, tokenFilePath } from '../http/operator-token.js';
import { startGateway } from '../testing/fixture.js';

/**
 * The dashboard in Debian's Chromium on a real gateway: a kit publishes over MQTT/TLS and its
 * reading is shown through the live stream with no poll (no request to the polling endpoints in
 * the window); when the stream breaks the page says so and polls; it reconnects by itself.
 */
const ARGS = ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-sync'];
const WAIT = { timeout: 60_000 };
const POLLED = /\/v1\/(devices|events)(\?|\/|$)/;

t.test('a reading reaches the fleet page through SSE, with no poll; a broken stream falls back to polling', async (t) => {
  execFileSync(process.execPath, ['scripts/build-dashboard.mjs'], { stdio: 'pipe' }); // the bundle of these sources
  const gw = await startGateway(t, { 'stream.flushMs': 0, 'stream.readingIntervalMs': 0 });
  const secret = await gw.addKit('kit-live');
  const token = issueOperatorToken(tokenFilePath(gw.dataDir));
  const kit = await gw.connect({ clientId: 'kit-live', username: 'kit-live', password: secret });
  t.teardown(() => kit.end(true));
  let seq = 0;
  const publish = (tempC: number) =>
    new Promise<void>((resolve, reject) =>
      kit.publish(
        'sv/kit-live/telemetry',
        JSON.stringify({ v: 1, boot: 1, seq: ++seq, ts: Date.now(), tempC, sensor: 'ok', heater: false, rssi: -50 }),
        { qos: 1 },
        (err) => (err ? reject(err) : resolve()),
      ),
    );
  // The kit reports every 500 ms in small steps, as a real one does (a silent kit or a jump raises events, which the page refetches).
  let current = 40.0;
  await publish(current);
  const reporting = setInterval(() => void publish(current).catch(() => {}), 500);
  t.teardown(() => clearInterval(reporting));
  const show = async (c: number) => {
    current = c;
    await temp.filter({ hasText: c.toFixed(1) }).waitFor(WAIT);
  };

  const side = openSse(`http://127.0.0.1:${gw.httpPort}/v1/stream`, { authorization: `Bearer ${token}` });
  t.teardown(() => side.close());
  const browser = await chromium.launch({ executablePath: findBinary(BINARIES.chromium), args: ARGS });
  t.teardown(() => browser.close());
  const page = await browser.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  const polls: string[] = [];
  page.on('request', (r: Request) => {
    if (POLLED.test(new URL(r.url()).pathname)) polls.push(r.url());
  });

  await page.goto(`http://127.0.0.1:${gw.httpPort}/dashboard/`);
  await page.getByLabel('Operator token').fill(token);
  await page.getByRole('button', { name: 'Log in' }).click();
  const temp = page.locator('[data-kit="kit-live"] [data-field="temp"]');
  await temp.filter({ hasText: '40.0' }).waitFor(WAIT);
  const indicator = page.locator('[data-field="live"]');
  await indicator.filter({ hasText: /^Live$/ }).waitFor(WAIT);
  t.pass('the header says the page is live');
  await page.waitForTimeout(1_000); // the catch-up refresh after going live has run
  const before = polls.length;
  t.ok(before > 0, 'the page loaded by polling first');

  // The window: readings arrive; the page shows them; nothing is polled.
  for (const c of [40.3, 40.6, 40.9]) await show(c);
  await page.waitForTimeout(2_500); // longer than a poll period (2 s)
  t.same(polls.slice(before), [], 'no request to /v1/devices or /v1/events while live');
  t.same(
    side.messages.filter((m) => m.event !== 'reading' && m.event !== 'ready').map((m) => m.event),
    [],
    'the stream carried readings only (small steps: no sensor-jump alarm)',
  );

  // The stream breaks and cannot reconnect: the page says so and polls.
  await page.route('**/v1/stream', (r) => r.abort());
  gw.gateway.stream.disconnectAll();
  await indicator.filter({ hasText: /Disconnected: live updates paused/ }).waitFor(WAIT);
  t.pass('a broken stream is shown as paused');
  const down = polls.length;
  await show(41.2);
  t.ok(polls.length > down, 'and the page polls meanwhile');

  // It comes back by itself (backoff) and resumes.
  await page.unroute('**/v1/stream');
  await indicator.filter({ hasText: /^Live$/ }).waitFor(WAIT);
  t.pass('it reconnects by itself');
  await page.waitForTimeout(1_000);
  const back = polls.length;
  await show(41.5);
  await page.waitForTimeout(500);
  t.same(polls.slice(back), [], 'live again: the reading came without a poll');

  // A kit's page follows that kit only (?devices=); back on the list, the fleet stream again.
  const streams: string[] = [];
  page.on('request', (r: Request) => {
    const u = new URL(r.url());
    if (u.pathname === '/v1/stream') streams.push(u.search);
  });
  await page.goto(`http://127.0.0.1:${gw.httpPort}/dashboard/#/kit/kit-live`);
  await indicator.filter({ hasText: /^Live$/ }).waitFor(WAIT);
  await page.goto(`http://127.0.0.1:${gw.httpPort}/dashboard/#/`);
  await indicator.filter({ hasText: /^Live$/ }).waitFor(WAIT);
  t.same(streams, ['?devices=kit-live', ''], "the kit's page subscribed to its kit, the list page to the fleet");
  t.same(pageErrors, [], 'no page errors');
});
