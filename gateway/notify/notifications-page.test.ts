import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';
import t from 'tap';
import { ntfyReceiver } from '../../test/harness/notify-receivers.js';
import { BINARIES, findBinary } from '../../test/harness/packages.js';
import { issueOperatorToken, tokenFilePath } from '../http/operator-token.js';
import { startGateway, telemetry } from '../testing/fixture.js';

const ARGS = ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--no-first-run'];
const WAIT = { timeout: 60_000 };

/**
 * The gateway dashboard's Notifications page in Debian's Chromium: a probe fault notifies an
 * ntfy endpoint that is up and a webhook that is down; the page shows one delivered and one
 * waiting to retry with its error.
 */
t.test('the Notifications page shows each channel’s last attempt', async (t) => {
  execFileSync(process.execPath, ['scripts/build-dashboard.mjs'], { stdio: 'pipe' });
  const ntfy = await ntfyReceiver();
  await ntfy.start();
  t.teardown(() => ntfy.stop());
  const gw = await startGateway(t, {
    'notify.ntfyUrl': ntfy.url,
    'notify.webhookUrl': 'http://127.0.0.1:9/hook',
    'notify.webhookSecret': 'whsec-page-0123456789',
  });
  const token = issueOperatorToken(tokenFilePath(gw.dataDir));
  const secret = await gw.addKit('kit-page');
  const kit = await gw.connect({ clientId: 'kit-page', username: 'kit-page', password: secret });
  t.teardown(() => kit.end(true));
  for (let seq = 0; seq < 5; seq++)
    await kit.publishAsync('sv/kit-page/telemetry', telemetry({ seq, sensor: 'disconnected', tempC: null, heater: false }), { qos: 1 });

  const browser = await chromium.launch({ executablePath: findBinary(BINARIES.chromium), args: ARGS });
  t.teardown(() => browser.close());
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${gw.httpPort}/`);
  await page.getByLabel('Operator token').fill(token);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('link', { name: 'Notifications' }).click();
  await page.locator('[data-field="channels"]', { hasText: 'webhook, ntfy' }).waitFor(WAIT);
  const ntfyRow = page.locator('tbody tr[data-state="sent"]', { hasText: 'ntfy' }).first();
  await ntfyRow.waitFor(WAIT);
  t.match(await ntfyRow.textContent(), /The probe is not reading: check its cable\..*delivered/, 'ntfy: delivered, in plain language');
  const hookRow = page.locator('tbody tr[data-state="pending"]', { hasText: 'webhook' }).first();
  await hookRow.waitFor(WAIT);
  t.match(
    await hookRow.textContent(),
    /waiting to retry.*ECONNREFUSED|waiting to retry.*fetch failed/,
    'webhook: waiting to retry, with the error',
  );
  t.equal(ntfy.received.length, 1, 'the ntfy endpoint got it');
});
