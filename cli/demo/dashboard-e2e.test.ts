import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import type { Page } from 'playwright-core';
import t from 'tap';
import { demoInBrowser, shows, until, WAIT } from './browser-fixture.js';

/**
 * The dashboard in Debian's Chromium against the real demo (cloud on its embedded store, gateway,
 * simulated kits over MQTT/TLS): log in, see the kits, start a cook, watch the chart move, a probe
 * fault raises an alarm, stop the cook; then the same app from the gateway with the cloud stopped.
 * Every wait is on what the page shows; screenshots go to test-output/dashboard/.
 */

const field = (page: Page, kit: string | null, name: string) =>
  page.locator(`${kit ? `[data-kit="${kit}"] ` : ''}[data-field="${name}"]`).first();
const points = async (page: Page, nth = 0) => Number((await page.locator('.chart').nth(nth).getAttribute('data-points')) ?? 0);

t.test('dashboard: cloud and gateway, against the running demo', async (t) => {
  const { demo, browser, dataDir, out: OUT } = await demoInBrowser(t, 'dashboard');
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  const shot = (name: string) => page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });

  // Login: a wrong password is refused with a message, the demo's user gets in.
  await page.goto(`${demo.cloudUrl}/dashboard/`);
  await page.getByLabel('E-mail').fill(demo.login.email);
  await page.getByLabel('Password').fill('not the password of the demo');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.locator('#login-error', { hasText: 'Not accepted' }).waitFor(WAIT);
  t.pass('a wrong password is refused with a message');
  await shot('login');
  await page.getByLabel('Password').fill(demo.login.password);
  await page.keyboard.press('Enter'); // the form works from the keyboard
  await page.getByRole('heading', { name: 'Kits' }).waitFor(WAIT);

  // Fleet: every demo kit with a temperature relayed to the cloud.
  for (const id of demo.kits.keys()) {
    await shows(page, `[data-kit="${id}"] [data-field="temp"]`, /°C/);
  }
  t.equal(await page.locator('.fleet [data-kit]').count(), demo.kits.size, `the fleet shows the ${demo.kits.size} demo kits`);
  t.match(await field(page, 'kit-eggs', 'status').textContent(), /online/, 'online');
  await shot('fleet');

  // A kit: start a cook from the cloud; the gateway applies it and reports it back.
  await page.getByRole('link', { name: 'kit-eggs' }).click();
  await page.getByRole('heading', { name: 'kit-eggs' }).waitFor(WAIT);
  const labelled = await page.$$eval('input', (els) =>
    els.map((e) => ((e as unknown as { labels: unknown[] | null }).labels?.length ?? 0) > 0),
  );
  t.ok(labelled.length >= 4 && labelled.every(Boolean), `every input of the cook form has a label (${labelled.length})`);
  await page.getByLabel('Target °C').fill('58');
  await page.getByLabel(/Timer/).fill('45');
  await page.getByLabel(/Food \(optional\)/).fill('eggs');
  await page.getByLabel(/Food kind/).selectOption('eggs');
  await page.getByLabel('Shape').selectOption('sphere');
  await page.getByLabel(/Thickness/).fill('45');
  await page.getByRole('button', { name: 'Start cook' }).click();
  await shows(page, '[data-field="cook"]', /heating to 58\.0 °C \(eggs\)$/); // confirmed: no "not confirmed yet" suffix
  t.pass('the cook set in the cloud is confirmed by the gateway');
  await shows(page, '[data-field="ready"]', /\d{2}:\d{2}/);
  t.pass('the water-ready time forecast by the gateway reaches the cloud dashboard');
  await shows(page, '[data-field="done"]', /\d{2}:\d{2}|once at target/);
  await shows(page, '[data-field="safe"]', /guidance/);
  t.pass('and so does the safe-at, labelled as guidance');
  await shows(page, '[data-field="heater"]', /^on$/);
  t.pass('the heater is on');
  const firstTemp = await field(page, null, 'temp').textContent();
  const before = await points(page);
  await until(
    page,
    'five more readings and a new temperature',
    async () => (await points(page)) >= before + 5 && (await field(page, null, 'temp').textContent()) !== firstTemp,
  );
  t.ok((await points(page)) >= before + 5, 'the live chart moves: new readings appended');
  t.not(await field(page, null, 'temp').textContent(), firstTemp, 'and the temperature shown changes');
  t.match(await page.locator('.chart').first().getAttribute('aria-label'), /target 58\.0 °C/, 'the chart carries the target band');
  await until(page, 'history points', async () => (await points(page, 1)) > 0);
  t.pass('history from the store is drawn');
  await shot('kit');

  // A probe fault in a simulated kit: the watchdog's alarm reaches the alarms page.
  demo.kits.get('kit-steak')?.sim.injectFault('disconnected');
  await page.getByRole('link', { name: 'Alarms & events' }).click();
  await page.locator('.alarms li[data-kit="kit-steak"][data-type="sensor_fault"]').waitFor(WAIT);
  t.match(
    await page.locator('.alarms li[data-kit="kit-steak"]').first().textContent(),
    /The probe is not reading: check its cable/,
    'the alarm says what happened, in plain words',
  );
  await shot('alarms');
  await page.getByRole('link', { name: 'Kits' }).click();
  await shows(page, '[data-kit="kit-steak"] [data-field="alarms"]', /probe is not reading/);
  t.pass('the fleet shows the alarm on the kit');
  demo.kits.get('kit-steak')?.sim.clearFault();
  await shows(page, '[data-kit="kit-steak"] [data-field="alarms"]', /^none$/);
  t.pass("and clears it when the probe is back (the watchdog's sensor_ok)");

  // Stop the cook.
  await page.getByRole('link', { name: 'kit-eggs' }).click();
  await page.getByRole('button', { name: 'Change cook' }).waitFor(WAIT);
  page.once('dialog', (d) => void d.accept()); // "Stop the cook on kit-eggs?"
  await page.getByRole('button', { name: 'Stop cook' }).click();
  await shows(page, '[data-field="cook"]', /^no cook$/);
  t.pass('the stop is confirmed by the gateway');

  // The cook's record: listed, and a printable report built from what the cloud stores.
  await page.getByRole('link', { name: 'Cook records' }).click();
  await page.locator('tr', { hasText: 'kit-eggs' }).first().waitFor(WAIT);
  await page.locator('tr', { hasText: 'kit-eggs' }).first().getByRole('link').click();
  await shows(page, '[data-field="kit"]', /^kit-eggs/);
  await shows(page, '[data-field="state"]', /stopped/);
  t.match(await field(page, null, 'food').textContent(), /eggs · sphere · 45 mm/, 'the report names the food');
  t.match(await field(page, null, 'danger').textContent(), /\d+ (s|min)/, 'the time in the danger zone');
  t.match(await field(page, null, 'lethality').textContent(), /Salmonella Enteritidis [\d.]+ of 5 log/, 'the lethality reached');
  t.ok((await page.locator('svg.curve polyline').count()) === 1, 'the temperature curve is drawn');
  await page.locator('td', { hasText: 'cook_start' }).first().waitFor(WAIT);
  t.pass('the actions include the cook start');
  await shot('cook-report');

  await page.getByRole('link', { name: 'Audit' }).click();
  await page.locator('td', { hasText: 'cook.stop' }).first().waitFor(WAIT);
  await page.locator('td', { hasText: 'cook_start' }).first().waitFor(WAIT);
  t.pass('the audit log shows the cloud call and the gateway applying it');
  await shot('audit');
  await page.getByRole('link', { name: 'Gateways' }).click();
  await page.locator('td', { hasText: 'connected' }).first().waitFor(WAIT);
  t.pass('the gateway is listed as connected, with its backlog');
  await shot('gateways');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByRole('link', { name: 'Kits' }).click();
  await page.locator('.fleet [data-kit]').first().waitFor(WAIT);
  await shot('fleet-phone');

  // The internet is down: the same app from the gateway, with the cloud stopped.
  await demo.stopCloud();
  const gw = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  gw.on('pageerror', (e) => pageErrors.push(e.message));
  await gw.goto(`${demo.gatewayUrl}/dashboard/`);
  await gw.getByLabel('Operator token').fill(demo.operatorToken);
  await gw.getByRole('button', { name: 'Log in' }).click();
  await shows(gw, '[data-kit="kit-eggs"] [data-field="temp"]', /°C/);
  t.equal(await gw.locator('.fleet [data-kit]').count(), demo.kits.size, 'the gateway dashboard lists every kit');
  // A preset saved on the gateway through its API, offered by the cook form.
  const preset = await fetch(`${demo.gatewayUrl}/v1/presets/chicken-breast`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${demo.operatorToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ targetC: 60, durationMin: 90, food: 'chicken breast', foodKind: 'poultry', foodShape: 'slab', thicknessMm: 25 }),
  });
  t.equal(preset.status, 200, 'a preset is saved on the gateway');
  await gw.getByRole('link', { name: 'kit-nopress' }).click();
  // The preset, picked in the form: the form takes its values.
  await gw.getByLabel('Preset').selectOption('chicken-breast');
  t.equal(await gw.getByLabel(/Thickness/).inputValue(), '25', 'picking the preset fills the form');
  await gw.getByRole('button', { name: 'Start cook' }).click();
  await shows(gw, '[data-field="cook"]', /heating to 60\.0 °C \(chicken breast\)/);
  t.pass('a cook starts from the preset on the gateway with the cloud down');
  await shows(gw, '[data-field="ready"]', /\d{2}:\d{2}/);
  await shows(gw, '[data-field="done"]', /\d{2}:\d{2}/);
  await shows(gw, '[data-field="safe"]', /\d{2}:\d{2}.*\(guidance/);
  t.pass('the gateway dashboard shows ready, done and safe times offline');
  await until(gw, 'five live readings', async () => (await points(gw)) >= 5);
  t.pass('and its live chart updates');
  t.match(await field(gw, null, 'actuator').textContent(), /presses|of/, 'actuator health is shown');
  t.match(await field(gw, null, 'danger').textContent(), /\d+ (s|min)/, 'danger-zone time is shown');
  await gw.screenshot({ path: join(OUT, 'gateway-kit.png'), fullPage: true });
  await gw.setViewportSize({ width: 390, height: 844 });
  await gw.screenshot({ path: join(OUT, 'gateway-kit-phone.png'), fullPage: true });
  gw.once('dialog', (d) => void d.accept());
  await gw.getByRole('button', { name: 'Stop cook' }).click();
  await shows(gw, '[data-field="cook"]', /^no cook$/);
  await gw.getByRole('link', { name: 'Cook records' }).click();
  await gw.locator('tr', { hasText: 'kit-nopress' }).first().getByRole('link').click();
  await shows(gw, '[data-field="lethality"]', /Salmonella [\d.]+ of 7 log/);
  t.pass('the gateway serves the cook report offline');
  await gw.screenshot({ path: join(OUT, 'gateway-cook-report.png'), fullPage: true });
  await gw.setViewportSize({ width: 1280, height: 900 });
  await gw.getByRole('link', { name: 'Cloud link' }).click();
  await gw.locator('tbody td.bad').first().waitFor(WAIT);
  await shows(gw, 'tbody td:nth-child(3)', /^[1-9]\d*$/);
  t.pass('the cloud link shows as down, with the backlog waiting at the edge');
  await gw.screenshot({ path: join(OUT, 'gateway-link.png'), fullPage: true });

  // Rejected messages: a kit's payload that failed parsing (one an older rule refused, one that
  // today's schema still refuses), shown with its reason, replayed from the page.
  const store = new Sqlite(join(dataDir, 'gateway', 'gateway.sqlite'));
  store.pragma('busy_timeout = 5000');
  const insert = store.prepare('INSERT INTO dead_letters (rx_ts, device_id, topic, code, reason, payload) VALUES (?, ?, ?, ?, ?, ?)');
  const valid = JSON.stringify({ v: 1, boot: 900, seq: 1, ts: null, tempC: 41.5, sensor: 'ok', heater: false });
  const old = Number(
    insert.run(Date.now(), 'kit-eggs', 'sv/kit-eggs/telemetry', 'SV_ERR_PAYLOAD_INVALID', 'an older rule', Buffer.from(valid))
      .lastInsertRowid,
  );
  insert.run(
    Date.now(),
    'kit-eggs',
    'sv/kit-eggs/telemetry',
    'SV_ERR_PAYLOAD_DUPLICATE_KEY',
    'tempC: duplicate_key (appears more than once)',
    Buffer.from('{"tempC":1,"tempC":2}'),
  );
  store.close();
  await gw.getByRole('link', { name: 'Rejected messages' }).click();
  await shows(gw, 'tbody tr td:nth-child(4)', /duplicate_key/);
  t.pass('the rejected-messages page shows a dead letter with its reason');
  await gw.screenshot({ path: join(OUT, 'gateway-rejected.png'), fullPage: true });
  await gw.locator(`tr[data-id="${old}"]`).getByRole('button', { name: 'Replay' }).click();
  await gw.locator(`tr[data-id="${old}"]`).waitFor({ state: 'detached', ...WAIT });
  t.pass('a dead letter that passes today is replayed from the page and leaves the list');
  t.same(pageErrors, [], 'no script errors in the pages');
});
