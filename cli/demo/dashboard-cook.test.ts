import { join } from 'node:path';
import type { Page } from 'playwright-core';
import t from 'tap';
import { demoInBrowser, shows, until, WAIT } from './browser-fixture.js';

/**
 * The dashboard a cook lives with, in Debian's Chromium against the real demo (cloud on its
 * embedded store, gateway, simulated kits over MQTT/TLS): a chart opened mid-cook shows the heater
 * from before it was opened (cloud and gateway history); a refused cook names the field and stays
 * on screen through the polls; stopping asks first; °F converts what is shown and typed; at 375 px
 * the tables pages do not scroll sideways. Every wait is on what the page shows; screenshots go
 * to test-output/dashboard-cook/.
 */
/** 3 L of hot tap water (42 °C): a cook at 45 °C heats for half a minute, then the heater cycles. */
const KIT = 'kit-eggs';
const TARGET = 45;

const field = (page: Page, name: string) => page.locator(`[data-field="${name}"]`).first();
/**
 * In the page: how far the page and each table box scroll sideways, and how many table cells lack
 * their column's label (a string: this package's type check has no DOM).
 */
const LAYOUT = `({
  page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
  wraps: [...document.querySelectorAll('.table-wrap')].map((w) => w.scrollWidth - w.clientWidth),
  unlabelled: [...document.querySelectorAll('tbody td')].filter((td) => td.colSpan === 1 && !td.dataset.label).length,
})`;
/** The heater runs drawn under a chart: [from, to, share] per SVG rect. */
const heaterRuns = (page: Page, chart: string) =>
  page.$$eval(`${chart} svg.heater rect`, (rs) =>
    rs.map((r) => [Number(r.getAttribute('data-from')), Number(r.getAttribute('data-to')), Number(r.getAttribute('data-share'))]),
  );

t.test('dashboard: history on open, form errors, stop confirmation, °F, phone tables', async (t) => {
  const { demo, browser, out: OUT } = await demoInBrowser(t, 'dashboard-cook');
  const gwApi = (method: string, path: string, body?: unknown) =>
    fetch(`${demo.gatewayUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${demo.operatorToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });

  const lastReading = async () =>
    ((await (await gwApi('GET', `/v1/devices/${KIT}`)).json()) as { state: { heater: boolean; rxTs: number } | null }).state;
  const readingsUntil = async (ts: number) => {
    for (let i = 0; i < 240 && ((await lastReading())?.rxTs ?? 0) <= ts; i++) await new Promise((r) => setTimeout(r, 500));
  };
  // Some readings without a cook, then a cook started at the gateway before anyone opens a page: the heater comes on.
  const first = Date.now();
  await readingsUntil(first);
  await readingsUntil(Date.now() + 10_000);
  const cookStart = Date.now();
  const started = await gwApi('PUT', `/v1/devices/${KIT}/cook`, { targetC: TARGET, durationMin: 60, food: 'eggs' });
  t.equal(started.status, 200, 'a cook starts at the gateway');
  await readingsUntil(cookStart + 15_000);
  // The gateway's own history: the same buckets as the cloud's, from its SQLite.
  const hist = (await (await gwApi('GET', `/v1/devices/${KIT}/telemetry?from=${cookStart - 60_000}&to=${Date.now()}&every=5s`)).json()) as {
    buckets: { ts: number; mean: number | null; heaterOn: number | null; targetC: number | null }[];
  };
  t.ok(
    hist.buckets.some((b) => b.heaterOn !== null && b.heaterOn > 0 && b.targetC === TARGET),
    'the gateway serves history buckets with the heater on and the target',
  );
  t.ok(
    hist.buckets.some((b) => b.ts + 5000 < cookStart && b.targetC === null),
    'and no target before the cook began',
  );
  const bad = await gwApi('GET', `/v1/devices/${KIT}/telemetry?every=5%20minutes`);
  t.equal(bad.status, 400, 'a bad every is refused');
  t.match(((await bad.json()) as { error: { details: string[] } }).error.details.join(), /query\.every/, 'naming the field');

  const pageErrors: string[] = [];

  // The cloud: open the kit mid-cook.
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(`${demo.cloudUrl}/dashboard/`);
  await page.getByLabel('E-mail').fill(demo.login.email);
  await page.getByLabel('Password').fill(demo.login.password);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Kits' }).waitFor(WAIT);
  const opened = Date.now();
  await page.goto(`${demo.cloudUrl}/dashboard/#/kit/${KIT}`);
  await shows(page, '[data-field="cook"]', /(heating|holding) to 45\.0 °C \(eggs\)/);
  await until(page, 'heater shading in the live chart', async () => (await heaterRuns(page, '.live-chart')).length > 0);
  const runs = await heaterRuns(page, '.live-chart');
  t.ok(
    runs.some(([from]) => (from as number) < opened - 5000),
    `the live chart opened mid-cook shades the heater from before it was opened (${runs.length} runs)`,
  );
  t.ok(
    runs.every(([from, to, share]) => (from as number) < (to as number) && (share as number) > 0 && (share as number) <= 1),
    'each run has a span and an on-share',
  );
  t.ok(Number(await page.locator('.live-chart').getAttribute('data-seeded')) > 0, 'seeded from the cloud store');
  await until(page, 'heater shading in the history chart', async () => (await heaterRuns(page, '.history-chart')).length > 0);
  t.pass('the history chart shades the heater too');

  // A cook the API refuses: the form names the field, and the polls do not clear it.
  await page.getByLabel('Target °C').fill('50');
  await page.getByLabel(/Timer/).fill('300');
  await page.getByRole('button', { name: 'Change cook' }).click();
  const error = page.locator('#cook-error');
  await shows(page, '#cook-error', /lowTempOverride/);
  t.match(await error.textContent(), /Not accepted: invalid body: body\.lowTempOverride: required/, 'the refusal names the field');
  await page.waitForTimeout(6000); // four poll periods of the kit page (1.5 s)
  t.match(await error.textContent(), /lowTempOverride/, 'and is still there after several polls');
  await page.getByLabel(/Timer/).fill('60');
  t.equal(await error.textContent(), '', "the user's next action retires it");
  await page
    .locator('.live-chart')
    .locator('xpath=ancestor::section[1]')
    .screenshot({ path: join(OUT, 'chart-heater.png') });
  await page.screenshot({ path: join(OUT, 'cloud-kit.png'), fullPage: true });

  // The gateway: its own history, °F, and a stop that asks first.
  const gw = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  gw.on('pageerror', (e) => pageErrors.push(e.message));
  await gw.goto(`${demo.gatewayUrl}/dashboard/`);
  await gw.getByLabel('Operator token').fill(demo.operatorToken);
  await gw.getByRole('button', { name: 'Log in' }).click();
  await gw.locator(`[data-kit="${KIT}"]`).first().waitFor(WAIT);
  const gwOpened = Date.now();
  await gw.goto(`${demo.gatewayUrl}/dashboard/#/kit/${KIT}`);
  await until(gw, 'heater shading on the gateway page', async () => (await heaterRuns(gw, '.live-chart')).length > 0);
  t.ok(
    (await heaterRuns(gw, '.live-chart')).some(([from]) => (from as number) < gwOpened - 5000),
    "the gateway's chart shades the heater from before it was opened (its own SQLite)",
  );

  await gw.getByLabel('Units').selectOption('F');
  await shows(gw, '[data-field="target"]', /^113\.0 °F$/);
  t.pass('°F: the target 45 °C is shown as 113.0 °F');
  t.match(await field(gw, 'temp').textContent(), /^\d+\.\d °F$/, 'the temperature is in °F');
  t.equal(await gw.getByLabel('Target °F').inputValue(), '113', 'the form shows and takes °F');
  t.equal(await gw.evaluate("localStorage.getItem('sv.unit')"), 'F', 'the preference is kept in localStorage');
  await gw.reload();
  await shows(gw, '[data-field="target"]', /^113\.0 °F$/);
  t.pass('and survives a reload');
  await gw.getByLabel('Target °F').fill('136.4');
  await gw.getByRole('button', { name: 'Change cook' }).click();
  await shows(gw, '[data-field="cook"]', /to 136\.4 °F \(eggs\)/);
  const typed = (await (await gwApi('GET', `/v1/devices/${KIT}`)).json()) as { cook: { spec: { targetC: number } } };
  t.equal(typed.cook.spec.targetC, 58, '136.4 °F typed reaches the API as 58 °C');

  let asked = '';
  gw.once('dialog', (d) => {
    asked = d.message();
    void d.dismiss();
  });
  await gw.getByRole('button', { name: 'Stop cook' }).click();
  await shows(gw, '.cook-form [role="status"]', /keeps running/);
  t.match(asked, new RegExp(`Stop the cook on ${KIT}\\?`), 'stopping asks first');
  await gw.waitForTimeout(3000); // two poll periods
  t.match(await field(gw, 'cook').textContent(), /(heating|holding) to 136\.4 °F/, 'dismissed: the cook still runs');
  gw.once('dialog', (d) => void d.accept());
  await gw.getByRole('button', { name: 'Stop cook' }).click();
  await shows(gw, '[data-field="cook"]', /^no cook$/);
  t.pass('accepted: the cook is stopped');
  await gw.getByLabel('Units').selectOption('C');

  // A phone: the tables pages never scroll sideways; rows stack into labelled lines.
  await gw.setViewportSize({ width: 375, height: 800 });
  const pages = [
    ['Alarms & events', 'tbody tr td'],
    ['Cook records', 'tbody tr[data-cook] td'],
    ['Audit', 'tbody tr td'],
    ['Cloud link', 'tbody tr td'],
    ['Rejected messages', 'tbody tr td'],
    ['Notifications', 'tbody tr td'],
  ] as const;
  for (const [link, rows] of pages) {
    await gw.getByRole('link', { name: link }).click();
    await gw.locator(rows).first().waitFor(WAIT);
    const m = (await gw.evaluate(LAYOUT)) as { page: number; wraps: number[]; unlabelled: number };
    t.equal(m.page, 0, `${link}: no horizontal overflow of the page at 375 px`);
    t.ok(
      m.wraps.every((x) => x <= 0),
      `${link}: no table scrolls sideways (${m.wraps.join(', ')})`,
    );
    t.equal(m.unlabelled, 0, `${link}: every cell carries its column's label`);
    if (link === 'Cook records') await gw.screenshot({ path: join(OUT, 'phone-cooks.png'), fullPage: true });
    if (link === 'Alarms & events') await gw.screenshot({ path: join(OUT, 'phone-events.png'), fullPage: false });
  }
  await gw.getByRole('link', { name: 'Kits' }).click();
  await gw.getByRole('link', { name: KIT }).click();
  await gw.getByRole('heading', { name: KIT }).waitFor(WAIT);
  t.equal(((await gw.evaluate(LAYOUT)) as { page: number }).page, 0, 'the kit page fits 375 px too');
  await gw.screenshot({ path: join(OUT, 'phone-kit.png'), fullPage: true });
  t.same(pageErrors, [], 'no script errors in the pages');
});
