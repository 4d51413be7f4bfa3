import { execFileSync } from 'node:child_process';
import t from 'tap';
import { createOrg } from './admin.js';
import { createUser } from './auth/users.js';
import { openPage } from './testing/chromium.js';
import { batch, registry, telemetry, uid } from './testing/fixtures.js';
import { api, credentials, startCloud, testConfig } from './testing/servers.js';

/**
 * The cloud dashboard in Debian's Chromium: log in with e-mail and password, see only the org's
 * kits, who is logged in; an org A session is useless on org B's resources; a state-changing call
 * without the CSRF token is refused; log out. Every wait is on what the page shows.
 */
const WAIT = { timeout: 60_000 };

execFileSync(process.execPath, ['scripts/build-dashboard.mjs'], { stdio: 'pipe' }); // the bundle of these sources
const c = await startCloud(t, testConfig(t, undefined, 'dash-login'));
const meta = c.cloud.stores.meta;
const orgs = [] as { name: string; id: string; kit: string; email: string; password: string }[];
for (const name of ['kitchen-a', 'kitchen-b']) {
  const org = await createOrg(meta, name, Date.now());
  const creds = await credentials(c, org.id);
  const kit = uid('kit').toLowerCase();
  await api(c.base, 'POST', '/v1/ingest', creds.gateway.token, batch([registry([kit]), telemetry(kit, 1, 1)]));
  const email = `chef@${name}.test`;
  const password = `${name} secret passphrase`;
  await createUser(meta, { email, orgId: org.id, role: 'operator', password, publicUrl: c.base }, Date.now());
  orgs.push({ name, id: org.id, kit, email, password });
}
const [A, B] = orgs as [(typeof orgs)[0], (typeof orgs)[0]];

t.test('log in, see only the org, the boundary and CSRF hold, log out', async (t) => {
  const { page, pageErrors } = await openPage(t, `${c.base}/dashboard/`);

  await page.getByLabel('E-mail').fill(A.email);
  await page.getByLabel('Password').fill('not the password at all');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.locator('#login-error', { hasText: 'Not accepted' }).waitFor(WAIT);
  t.pass('a wrong password is refused with a message');

  await page.getByLabel('Password').fill(A.password);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Kits' }).waitFor(WAIT);
  await page.locator(`[data-kit="${A.kit}"]`).first().waitFor(WAIT);
  t.equal(await page.locator(`[data-kit="${B.kit}"]`).count(), 0, "org B's kit is not shown");
  t.match(await page.locator('[data-field="who"]').textContent(), `${A.email} (operator) · kitchen-a`, 'who is logged in, in which org');
  const cookies = await page.context().cookies();
  t.match(
    cookies.find((x) => x.name === 'sv_session'),
    { httpOnly: true, sameSite: 'Strict' },
    'an httpOnly, SameSite=Strict cookie',
  );
  t.equal(
    await page.evaluate(() => (globalThis as unknown as { document: { cookie: string } }).document.cookie),
    '',
    'invisible to scripts',
  );

  // The page's own session, used by hand from its context (what a malicious script in the page could try).
  const call = (method: string, path: string, body: unknown, csrf: boolean) =>
    page.evaluate(
      async ({ method, path, body, csrf }) => {
        const who = (await (await fetch('/v1/auth/session')).json()) as { csrfToken: string };
        const res = await fetch(path, {
          method,
          headers: { 'content-type': 'application/json', ...(csrf ? { 'x-csrf-token': who.csrfToken } : {}) },
          body: body === null ? undefined : JSON.stringify(body),
        });
        return { status: res.status, body: (await res.json().catch(() => null)) as { items: unknown[] } | null };
      },
      { method, path, body, csrf },
    );
  t.equal((await call('GET', `/v1/devices/${B.kit}`, null, true)).status, 404, "org B's kit does not exist for org A");
  t.equal((await call('PUT', `/v1/devices/${B.kit}/cook`, { targetC: 60 }, true)).status, 404, 'nor can it be cooked on');
  t.equal((await call('GET', `/v1/events?device=${B.kit}`, null, true)).body?.items.length, 0);
  const noCsrf = await call('PUT', `/v1/devices/${A.kit}/cook`, { targetC: 60 }, false);
  t.equal(noCsrf.status, 403, 'a state-changing call without the CSRF token is refused');
  t.equal(await meta.getDesiredCook({ orgId: A.id }, A.kit), null, 'and changed nothing');
  t.equal((await call('PUT', `/v1/devices/${A.kit}/cook`, { targetC: 60 }, true)).status, 200, 'with it, it works');
  t.equal(await meta.getDesiredCook({ orgId: B.id }, B.kit), null, "org B's kit has no cook");

  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByLabel('E-mail').waitFor(WAIT);
  t.equal((await page.evaluate(async () => (await fetch('/v1/devices')).status)) as number, 401, 'logged out: the session is gone');
  t.same(pageErrors, [], 'no script errors');
});
