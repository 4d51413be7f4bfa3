import type { Page } from 'playwright-core';
import t from 'tap';
import { openSse } from '../../shared/stream/sse-client.js';
import { demoInBrowser, WAIT } from './browser-fixture.js';

/**
 * The Alarms page in Debian's Chromium on both dashboards of the running demo (cloud, gateway,
 * simulated kits): two probes fail; one alarm is acknowledged in the cloud dashboard and shows
 * acknowledged on the gateway's, the other is acknowledged on the gateway's and shows
 * acknowledged in the cloud's. Every wait is on what the pages show. The pages are not polled
 * while their stream is live: the acknowledgement from the other side comes as an `alarmState`
 * message, which a client of the gateway's stream sees too.
 */
const PROBE = 'The probe is not reading: check its cable.';

/** The open probe alarm of a kit on the Alarms page; its id. */
async function probeAlarm(page: Page, kit: string): Promise<string> {
  const row = page.locator('tbody tr[data-state="open"]', { hasText: kit }).filter({ hasText: PROBE }).first();
  await row.waitFor(WAIT);
  return (await row.getAttribute('data-id')) as string;
}

async function acknowledge(page: Page, id: string, note: string): Promise<void> {
  const row = page.locator(`tbody tr[data-id="${id}"]`);
  await row.getByLabel('Note').fill(note);
  await row.getByRole('button', { name: 'Acknowledge' }).click();
  await page.locator(`tbody tr[data-id="${id}"][data-state="acknowledged"]`).waitFor(WAIT);
}

t.test('acknowledge on one dashboard, acknowledged on the other', async (t) => {
  const { demo, browser } = await demoInBrowser(t, 'alarms-page');
  const cloud = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const gw = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  for (const p of [cloud, gw]) p.on('pageerror', (e) => errors.push(e.message));

  await cloud.goto(`${demo.cloudUrl}/dashboard/`);
  await cloud.getByLabel('E-mail').fill(demo.login.email);
  await cloud.getByLabel('Password').fill(demo.login.password);
  await cloud.getByRole('button', { name: 'Log in' }).click();
  await cloud.getByRole('heading', { name: 'Kits' }).waitFor(WAIT);
  await gw.goto(`${demo.gatewayUrl}/`);
  await gw.getByLabel('Operator token').fill(demo.operatorToken);
  await gw.getByRole('button', { name: 'Log in' }).click();
  await gw.getByRole('heading', { name: 'Kits' }).waitFor(WAIT);

  demo.kits.get('kit-steak')?.sim.injectFault('disconnected');
  demo.kits.get('kit-brisket')?.sim.injectFault('disconnected');
  for (const p of [cloud, gw]) {
    await p.getByRole('link', { name: 'Alarms', exact: true }).click();
    await p.getByRole('heading', { name: 'Alarms', exact: true }).waitFor(WAIT);
  }

  // Cloud → gateway.
  const steak = await probeAlarm(cloud, 'kit-steak');
  t.equal(await probeAlarm(gw, 'kit-steak'), steak, 'the same alarm on both dashboards');
  // The Alarms page asks for the list when the stream says an alarm changed, not every 2 s as
  // before (3 requests in 6 s): a quiet window costs at most one (an alarm raised meanwhile).
  const gets: string[] = [];
  gw.on('request', (r) => {
    if (r.method() === 'GET' && new URL(r.url()).pathname === '/v1/alarms') gets.push(r.url());
  });
  await gw.locator('[data-field="live"].is-live').waitFor(WAIT);
  await gw.waitForTimeout(6_000);
  t.ok(gets.length <= 1, `the Alarms page is not polled while live (${gets.length} requests in 6 s)`);
  const live = openSse(`${demo.gatewayUrl}/v1/stream`, { authorization: `Bearer ${demo.operatorToken}` });
  t.teardown(() => live.close());
  await acknowledge(cloud, steak, 'seen from the office');
  const down = gw.locator(`tbody tr[data-id="${steak}"][data-state="acknowledged"]`);
  await down.waitFor(WAIT);
  t.match(await down.locator('[data-field="acknowledged"]').textContent(), /by cook@demo\.local, .*seen from the office/);
  const pushed = await live.next((m) => m.event === 'alarmState' && JSON.parse(m.data).id === steak, 30_000);
  t.match(
    JSON.parse(pushed.data),
    { state: 'acknowledged', acknowledgedBy: 'cook@demo.local', note: 'seen from the office' },
    'the gateway streamed the step',
  );
  t.pass('acknowledged in the cloud dashboard → acknowledged on the gateway dashboard');

  // Gateway → cloud.
  const brisket = await probeAlarm(gw, 'kit-brisket');
  await acknowledge(gw, brisket, 'at the stove');
  const up = cloud.locator(`tbody tr[data-id="${brisket}"][data-state="acknowledged"]`);
  await up.waitFor(WAIT);
  t.match(await up.locator('[data-field="acknowledged"]').textContent(), /by operator, .*at the stove/);
  t.pass('acknowledged on the gateway dashboard → acknowledged in the cloud dashboard');

  // The filter shows only what is asked for.
  await cloud.getByLabel('Show').selectOption('acknowledged');
  await cloud.locator(`tbody tr[data-id="${brisket}"]`).waitFor(WAIT);
  t.equal(await cloud.locator('tbody tr[data-state="open"]').count(), 0, 'no open alarm among the acknowledged');
  t.same(errors, [], 'no page errors');
});
