import type { Request } from 'playwright-core';
import t from 'tap';
import { faultProxy, gatewayDashboard, until, WAIT } from '../testing/dashboard.js';

/**
 * The dashboard never says "Live" over frozen values (Debian's Chromium, a real gateway behind a
 * proxy): a stream that stays connected but silent (no message, no heartbeat) is dropped and the
 * page polls and says so, then comes back; time-based fields ("silent 20 s") move on their own,
 * with no request; an offline kit's last temperature and heater are shown as the last reading.
 */
const POLLED = /\/v1\/(devices|events|alarms)(\?|\/|$)/;

const { api, gw, open, kit } = await gatewayDashboard(t, {
  'stream.heartbeatMs': 1000,
  'stream.flushMs': 0,
  'stream.readingIntervalMs': 0,
});
const proxy = await faultProxy(t, `http://127.0.0.1:${gw.httpPort}`);

t.test('a silent stream is dropped: the header says so, the page polls, then it is live again', async (t) => {
  const a = await kit('kit-a', 40);
  const { page, pageErrors } = await open(proxy.base);
  const temp = page.locator('[data-kit="kit-a"] [data-field="temp"]');
  const indicator = page.locator('[data-field="live"]');
  await indicator.filter({ hasText: /^Live$/ }).waitFor(WAIT);
  await temp.filter({ hasText: '40.0' }).waitFor(WAIT);

  t.ok(proxy.freezeStreams() > 0, 'the open stream is held silent by the proxy (still connected)');
  await indicator.filter({ hasText: /Disconnected: live updates paused/ }).waitFor(WAIT);
  t.pass('the header no longer says Live');
  a.set(41.5);
  await temp.filter({ hasText: '41.5' }).waitFor(WAIT);
  t.pass('and the page shows new readings (by polling, or the new stream)');
  await indicator.filter({ hasText: /^Live$/ }).waitFor(WAIT);
  t.pass('a new stream makes it live again');
  a.set(42.1);
  await temp.filter({ hasText: '42.1' }).waitFor(WAIT);
  t.same(pageErrors, [], 'no page errors');
  await page.close();
});

t.test('"silent N s" moves on with no request', async (t) => {
  await kit('kit-a2', 40);
  const quiet = await kit('kit-quiet', 55);
  const { page, pageErrors } = await open();
  const status = page.locator('[data-kit="kit-quiet"] [data-field="status"]');
  await page
    .locator('[data-field="live"]')
    .filter({ hasText: /^Live$/ })
    .waitFor(WAIT);
  await page.locator('[data-kit="kit-quiet"] [data-field="temp"]').filter({ hasText: '55.0' }).waitFor(WAIT);
  let polls = 0;
  page.on('request', (r: Request) => {
    if (POLLED.test(new URL(r.url()).pathname)) polls++;
  });
  // kit-quiet stays connected but stops reporting: after 15 s the card says "silent N s", and N
  // moves on between two polls (a redraw of the time, not a refetch).
  quiet.pause();
  await status.filter({ hasText: /^silent \d+ s$/ }).waitFor(WAIT);
  let moved = false;
  for (let i = 0; i < 3 && !moved; i++) {
    const before = { text: await status.textContent(), polls };
    await until('the silent time changes', async () => (await status.textContent()) !== before.text);
    moved = polls === before.polls && /^silent \d+ s$/.test((await status.textContent()) ?? '');
  }
  t.ok(moved, '"silent N s" changed with no request in between');
  t.same(pageErrors, [], 'no page errors');
  await page.close();
});

t.test("an offline kit's temperature and heater are shown as its last reading", async (t) => {
  await kit('kit-b', 40);
  const gone = await kit('kit-gone', 56.9, true);
  const { page, pageErrors } = await open();
  const card = (id: string, field: string) => page.locator(`[data-kit="${id}"] [data-field="${field}"]`);
  await card('kit-gone', 'heater').filter({ hasText: /^on$/ }).waitFor(WAIT);
  // kit-gone's connection drops (its will): the API says offline; its card shows the last values as the last reading.
  await gone.stop();
  await until('the API has kit-gone offline', async () => (await api('GET', '/v1/devices/kit-gone')).body.online === false);
  await card('kit-gone', 'status')
    .filter({ hasText: /^offline$/ })
    .waitFor(WAIT);
  t.match(
    await card('kit-gone', 'temp').textContent(),
    /^56\.9 °C \(last reading, .+ ago\)$/,
    "its temperature is the last reading's, with its age",
  );
  t.equal(await card('kit-gone', 'heater').textContent(), 'on at the last reading (not current)', 'so is its heater');
  t.ok(await card('kit-gone', 'temp').evaluate((e) => e.classList.contains('stale')), 'and both are marked stale');
  t.equal(await card('kit-b', 'heater').textContent(), 'off', 'an online kit is shown as it is');

  await page.getByRole('link', { name: 'kit-gone' }).click();
  const fact = (f: string) => page.locator(`dl.facts [data-field="${f}"]`);
  await fact('status')
    .filter({ hasText: /^offline$/ })
    .waitFor(WAIT);
  t.match(await fact('temp').textContent(), /^56\.9 °C \(last reading, .+ ago\)$/, 'the same on its page');
  t.equal(await fact('heater').textContent(), 'on at the last reading (not current)');
  t.same(pageErrors, [], 'no page errors');
});
