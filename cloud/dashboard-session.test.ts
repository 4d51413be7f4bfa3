import { execFileSync } from 'node:child_process';
import type { Request, Route } from 'playwright-core';
import t from 'tap';
import { createOrg } from './admin.js';
import { createUser } from './auth/users.js';
import { openPage } from './testing/chromium.js';
import { api, credentials, startCloud, testConfig } from './testing/servers.js';

/**
 * The cloud dashboard's session in Debian's Chromium on a real cloud (embedded store): a user
 * removed while their page is open is sent to the login form as soon as the live stream is
 * refused, even while the page's polls are slow to answer; logging out ends the session in the
 * tab (Back makes no request with the old session).
 */
const WAIT = { timeout: 60_000 };

execFileSync(process.execPath, ['scripts/build-dashboard.mjs'], { stdio: 'pipe' }); // the bundle of these sources
// An open stream checks its user every 200 ms (default 30 s), so the removal ends it soon.
const c = await startCloud(t, testConfig(t, undefined, 'dash-session', { 'stream.recheckMs': 200 }));
const meta = c.cloud.stores.meta;
const org = await createOrg(meta, 'session-a', Date.now());
const creds = await credentials(c, org.id);
const password = 'a long enough passphrase';
const user = async (email: string, role: string) =>
  (await createUser(meta, { email, orgId: org.id, role, password, serviceAdmin: false, publicUrl: c.base }, Date.now())).id;

async function logIn(email: string) {
  const { page, pageErrors } = await openPage(t, `${c.base}/dashboard/`);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Kits' }).waitFor(WAIT);
  return { page, pageErrors };
}

t.test('a removed user is sent to the login form when the stream is refused, with polls slow to answer', async (t) => {
  const temp = await user('temp@session-a.test', 'operator');
  const { page, pageErrors } = await logIn('temp@session-a.test');
  await page.getByRole('link', { name: 'Alarms', exact: true }).click();
  await page.getByRole('heading', { name: 'Alarms', level: 1 }).waitFor(WAIT);
  await page
    .locator('[data-field="live"]')
    .filter({ hasText: /^Live$/ })
    .waitFor(WAIT);

  // From now on the server is slow to answer the page's polls (held until the test ends); only
  // the stream goes through, so only the stream's refusal can tell the page.
  const held: Route[] = [];
  await page.route(
    (u) => u.pathname.startsWith('/v1/') && u.pathname !== '/v1/stream',
    (r) => void held.push(r),
  );
  t.teardown(() => Promise.all(held.map((r) => r.abort().catch(() => {}))));
  const streams: number[] = [];
  page.on('response', (r) => {
    if (new URL(r.url()).pathname === '/v1/stream') streams.push(r.status());
  });
  t.equal((await api(c.base, 'DELETE', `/v1/users/${temp}`, creds.admin)).status, 204, 'an admin removes the user');
  t.equal(await meta.users.userById(temp), null, 'the store no longer has them');

  await page.locator('#login-error', { hasText: 'Your session ended; log in again.' }).waitFor(WAIT);
  t.pass('the page is replaced by the login form, saying why');
  t.ok(streams.includes(401), 'the stream was refused (401)');
  t.ok(await page.getByLabel('E-mail').isVisible(), 'the login form is shown');
  t.same(pageErrors, [], 'no page errors');
});

t.test('logging out ends the session in the tab: Back makes no request', async (t) => {
  await user('cook@session-a.test', 'operator');
  const { page, pageErrors } = await logIn('cook@session-a.test');
  await page.getByRole('link', { name: 'Alarms', exact: true }).click();
  await page.getByRole('heading', { name: 'Alarms', level: 1 }).waitFor(WAIT);
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByLabel('E-mail').waitFor(WAIT);
  const after: string[] = [];
  page.on('request', (r: Request) => {
    if (new URL(r.url()).pathname.startsWith('/v1/')) after.push(`${r.method()} ${new URL(r.url()).pathname}`);
  });
  await page.goBack();
  await page.waitForFunction("location.hash === '' || location.hash === '#/'");
  // A window for any request the old session would make: its poll runs every 2 s.
  await page.waitForTimeout(4_000);
  t.same(after, [], 'no request after Back');
  t.ok(await page.getByLabel('E-mail').isVisible(), 'the login form is still shown');
  t.same(pageErrors, [], 'no page errors');
});

t.test("a viewer's kit page shows the cook form disabled, with why (the API would refuse it)", async (t) => {
  await user('vera@session-a.test', 'viewer');
  const { page, pageErrors } = await logIn('vera@session-a.test');
  await page.goto(`${c.base}/dashboard/#/kit/kit-none`);
  const why = page.locator('[data-field="cook-readonly"]');
  await why.waitFor(WAIT);
  t.match(await why.textContent(), /Your role is viewer/, 'the form says why it is disabled');
  t.ok(await page.locator('form.cook-form button[type="submit"]').isDisabled(), 'Start is disabled');
  t.ok(await page.locator('#cook-target').isDisabled(), 'and so are the fields');
  const put = await page.evaluate(async () => {
    const who = (await (await fetch('/v1/auth/session')).json()) as { csrfToken: string };
    const res = await fetch('/v1/devices/kit-none/cook', {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-csrf-token': who.csrfToken },
      body: JSON.stringify({ targetC: 56 }),
    });
    return res.status;
  });
  t.equal(put, 403, "the API refuses a viewer's cook");
  t.same(
    pageErrors.filter((e) => !/404/.test(e)),
    [],
    'no page errors',
  );
});
