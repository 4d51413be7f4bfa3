import type { Request } from 'playwright-core';
import t from 'tap';
import { faultProxy, gatewayDashboard, until, WAIT } from '../testing/dashboard.js';

/**
 * The gateway dashboard's errors and session in Debian's Chromium (a real gateway, behind a proxy
 * for the faults): a proxy's non-JSON error page is said in plain words, never as a JSON parse
 * error; a cook change answered that way says its outcome is unknown and shows what the API then
 * holds; logging out ends the session in the tab (Back makes no request with the old key).
 */
const { api, gw, base, open, kit } = await gatewayDashboard(t);
const proxy = await faultProxy(t, `http://127.0.0.1:${gw.httpPort}`);

t.test("a proxy's 502 page is said in plain words; a change answered so has an unknown outcome", async (t) => {
  await kit('kit-steak', 50);
  t.equal((await api('PUT', '/v1/devices/kit-steak/cook', { targetC: 55, durationMin: 60 })).status, 200);
  const { page, pageErrors } = await open(proxy.base);
  await page.goto(`${proxy.base}/dashboard/#/kit/kit-steak`);
  await page.locator('form.cook-form button[type="submit"]', { hasText: 'Change cook' }).waitFor(WAIT);

  // Every read of the kit fails at the proxy: the page's alert says so plainly.
  proxy.fail('GET', /^\/v1\/devices\/kit-steak$/);
  await page.goto(`${proxy.base}/dashboard/#/`);
  await page.goto(`${proxy.base}/dashboard/#/kit/kit-steak`);
  const alert = page.locator('.alert');
  await alert.filter({ hasText: /\S/ }).waitFor(WAIT);
  t.equal(await alert.textContent(), 'Could not update: The gateway did not answer (502)', 'the alert names the gateway and the status');
  proxy.heal();
  await until('the alert is cleared by a refresh that works', async () => (await alert.textContent()) === '');

  // The cook change reaches the gateway, but the proxy answers 502: the outcome is unknown, and
  // the page then shows what the gateway holds.
  proxy.fail('PUT', /^\/v1\/devices\/kit-steak\/cook$/);
  await page.locator('#cook-target').fill('56');
  await page.locator('form.cook-form button[type="submit"]').click();
  const error = page.locator('[data-field="cook-error"]');
  await error.filter({ hasText: /\S/ }).waitFor(WAIT);
  const said = (await error.textContent()) ?? '';
  t.match(
    said,
    /^Outcome unknown: The gateway did not answer \(502\): the change may or may not have been made/,
    'the form says the outcome is unknown',
  );
  t.notMatch(said, /Unexpected token|JSON|Not accepted/, 'not a parse error, nor a refusal');
  t.equal((await api('GET', '/v1/devices/kit-steak')).body.cook.spec.targetC, 56, 'the gateway made the change');
  await page.locator('dd[data-field="target"]', { hasText: '56.0' }).waitFor(WAIT);
  t.pass('and the page shows it');
  proxy.heal();
  t.same(pageErrors, [], 'no page errors');
  await page.close();
});

t.test('logging out ends the session in the tab: Back makes no request with the old key', async (t) => {
  await kit('kit-eggs', 50);
  const { page, pageErrors } = await open();
  await page.goto(`${base}/dashboard/#/kit/kit-eggs`);
  await page.locator('dd[data-field="temp"]', { hasText: '50.0' }).waitFor(WAIT);
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByLabel('Operator token').waitFor(WAIT);
  t.equal(await page.evaluate("sessionStorage.getItem('sv.key')"), null, 'the key is forgotten');
  const after: string[] = [];
  page.on('request', (r: Request) => {
    if (new URL(r.url()).pathname.startsWith('/v1/')) after.push(`${r.method()} ${new URL(r.url()).pathname}`);
  });
  await page.goBack();
  await page.waitForFunction("location.hash === '' || location.hash === '#/'");
  // A window for any request the old session would make: its poll runs every 1.5–2 s.
  await page.waitForTimeout(4_000);
  t.same(after, [], 'no request after Back');
  t.ok(await page.getByLabel('Operator token').isVisible(), 'the login form is still shown');
  await page.goForward();
  await page.waitForFunction("location.hash === '#/kit/kit-eggs'");
  await page.waitForTimeout(2_000);
  t.same(after, [], 'nor after Forward');
  t.same(pageErrors, [], 'no page errors');
});
