import { execFileSync } from 'node:child_process';
import type { Page } from 'playwright-core';
import t from 'tap';
import { createOrg } from './admin.js';
import { hashSecret } from './auth/tokens.js';
import { createUser } from './auth/users.js';
import { DEFAULT_ORG } from './stores/types.js';
import { openPage } from './testing/chromium.js';
import { api, credentials, startCloud, testConfig } from './testing/servers.js';

/**
 * The cloud dashboard's Team page (Debian's Chromium, a real cloud on the embedded store): an org
 * admin invites, changes a role, removes a user and withdraws an invitation, and each is checked
 * in the store; the API's refusals are shown next to their action; another org's users are never
 * touched; an operator's session has no Team page and the API refuses it the page's data.
 */
const WAIT = { timeout: 60_000 };

execFileSync(process.execPath, ['scripts/build-dashboard.mjs'], { stdio: 'pipe' }); // the bundle of these sources
const c = await startCloud(t, testConfig(t, undefined, 'dash-team'));
const meta = c.cloud.stores.meta;
const A = await createOrg(meta, 'team-a', Date.now());
const B = await createOrg(meta, 'team-b', Date.now());
const credsA = await credentials(c, A.id);
const password = 'a long enough passphrase';
const user = async (email: string, role: string, orgId = A.id, serviceAdmin = false) =>
  (await createUser(meta, { email, orgId, role, password, serviceAdmin, publicUrl: c.base }, Date.now())).id;
const ada = await user('ada@team-a.test', 'admin');
const vic = await user('vic@team-a.test', 'viewer');
const otto = await user('otto@team-a.test', 'operator');
await user('opal@team-a.test', 'operator');
await user('bea@team-b.test', 'admin', B.id);
await user('bob@team-b.test', 'viewer', B.id);
await user('dora@default.test', 'admin', DEFAULT_ORG);
const sam = await user('sam@default.test', 'admin', DEFAULT_ORG, true);
const usersOf = async (orgId: string) => (await meta.users.listUsers({ orgId }, { limit: 500 })).items;
const orgB = await usersOf(B.id);

async function logIn(page: Page, email: string) {
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Kits' }).waitFor(WAIT);
}

/** A call with the page's own session and its CSRF token (what a script in the page could do). */
const call = (page: Page, method: string, path: string, body?: unknown) =>
  page.evaluate(
    async ({ method, path, body }) => {
      const who = (await (await fetch('/v1/auth/session')).json()) as { csrfToken: string };
      const res = await fetch(path, {
        method,
        headers: { 'content-type': 'application/json', 'x-csrf-token': who.csrfToken },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json().catch(() => null)) as { error?: { details: string[] } } | null };
    },
    { method, path, body },
  );

t.test('an operator has no Team page, and the API refuses its session the Team data', async (t) => {
  const { page, pageErrors } = await openPage(t, `${c.base}/dashboard/`);
  await logIn(page, 'opal@team-a.test');
  t.equal(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Notifications' }).count(), 1, 'the nav is there');
  t.equal(await page.getByRole('link', { name: 'Team' }).count(), 0, 'but no Team link');
  await page.goto(`${c.base}/dashboard/#/team`);
  await page.locator('nav a[aria-current="page"]').waitFor({ state: 'detached', ...WAIT }); // routed: no link is the page
  await page.getByRole('heading', { name: 'Kits' }).waitFor(WAIT);
  t.equal(await page.getByRole('heading', { name: 'Team' }).count(), 0, '#/team shows no Team page');
  const list = await call(page, 'GET', '/v1/users');
  t.equal(list.status, 403, "GET /v1/users through the operator's session is refused");
  t.same(list.body?.error?.details, ['principal.role: operator < admin']);
  t.equal((await call(page, 'POST', '/v1/users', { email: 'sneaky@team-a.test', role: 'admin' })).status, 403, 'so is an invitation');
  t.equal(await meta.users.userByEmail('sneaky@team-a.test'), null, 'and the store has no such user');
  t.same(pageErrors, [], 'no page errors');
});

t.test('an admin invites, changes a role, removes a user and withdraws an invitation; the store follows', async (t) => {
  const { page, pageErrors } = await openPage(t, `${c.base}/dashboard/`);
  await logIn(page, 'ada@team-a.test');
  await page.getByRole('link', { name: 'Team' }).click();
  await page.getByRole('heading', { name: 'Team', level: 1 }).waitFor(WAIT);
  const row = (email: string) => page.locator(`tr[data-email="${email}"]`);
  await row('otto@team-a.test').waitFor(WAIT);
  t.match(await row('vic@team-a.test').textContent(), /viewer.*active/, 'a user with role and state');
  t.equal(await page.locator('tr[data-email$="@team-b.test"]').count(), 0, 'no user of another org is listed');

  // The only admin's own row: no control, and why (the API refuses it too, and changes nothing).
  t.match(await row('ada@team-a.test').textContent(), /This is you.*only admin.*invite or promote another admin first/);
  t.equal(await page.getByLabel('Role of ada@team-a.test', { exact: true }).count(), 0, 'no role control on one’s own row');
  t.equal(await page.getByRole('button', { name: 'Remove ada@team-a.test' }).count(), 0, 'nor a remove button');
  const self = await call(page, 'PATCH', `/v1/users/${ada}`, { role: 'viewer' });
  t.equal(self.status, 409, 'demoting oneself, the only admin, through the session is refused');
  t.same(self.body?.error?.details, ['params.id: the logged-in user']);
  t.equal((await meta.users.userById(ada))?.role, 'admin', 'and the store still has the admin');

  // Invite: the link once, and the invitation in the store with its role.
  await page.getByLabel('E-mail').fill('new@team-a.test');
  await page.getByLabel('Role', { exact: true }).selectOption('operator');
  await page.getByRole('button', { name: 'Invite' }).click();
  const link = page.getByLabel('Invitation link for new@team-a.test');
  await link.waitFor(WAIT);
  t.match(await page.locator('[data-field="invite-link"]').textContent(), /shown once/, 'the page says the link is shown once');
  const url = await link.inputValue();
  t.match(url, /\/dashboard\/#\/invite\/svi_[A-Za-z0-9_-]{43}$/, 'the link (its origin is http.publicUrl)');
  const invited = await meta.users.peekInvite(hashSecret(url.split('/invite/')[1] as string), Date.now());
  t.ok(invited, 'the store holds the invitation of that link');
  t.match(await meta.users.userById(invited as string), { email: 'new@team-a.test', orgId: A.id, role: 'operator', passwordSet: false });
  await row('new@team-a.test').getByText('invited, not accepted yet').waitFor(WAIT);

  // Refusals are shown next to the form, in the API's words; the form and the link stay.
  await page.getByLabel('E-mail').fill('not-an-email');
  await page.getByRole('button', { name: 'Invite' }).click();
  await page.locator('#invite-error', { hasText: 'e-mail: must be an e-mail address' }).waitFor(WAIT);
  t.equal(await page.getByLabel('E-mail').inputValue(), 'not-an-email', 'what was typed stays');
  t.equal(await link.inputValue(), url, 'the link shown stays');
  await page.getByLabel('E-mail').fill('vic@team-a.test');
  await page.getByRole('button', { name: 'Invite' }).click();
  await page.locator('#invite-error', { hasText: 'e-mail: already taken' }).waitFor(WAIT);
  t.equal(await meta.users.userByEmail('not-an-email'), null);

  // A role change.
  await page.getByLabel('Role of vic@team-a.test', { exact: true }).selectOption('operator');
  await page.getByRole('button', { name: 'Change role of vic@team-a.test' }).click();
  await row('vic@team-a.test').getByText('Role changed to operator.').waitFor(WAIT);
  t.equal((await meta.users.userById(vic))?.role, 'operator', "the store has the user's new role");

  // A removal asks first: cancelled, nothing goes; confirmed, the user goes, and only them.
  page.once('dialog', (d) => void d.dismiss());
  await page.getByRole('button', { name: 'Remove otto@team-a.test' }).click();
  t.ok(await meta.users.userById(otto), 'a cancelled removal removes nothing');
  page.once('dialog', (d) => void d.accept());
  await page.getByRole('button', { name: 'Remove vic@team-a.test' }).click();
  await row('vic@team-a.test').waitFor({ state: 'detached', ...WAIT });
  t.equal(await meta.users.userById(vic), null, 'the removed user is gone from the store');
  t.ok(await meta.users.userById(otto), 'the others stay');
  t.same(await usersOf(B.id), orgB, "another org's users are unchanged");

  // Withdrawing the invitation: the invited user and the link go.
  page.once('dialog', (d) => void d.accept());
  await page.getByRole('button', { name: 'Withdraw invitation of new@team-a.test' }).click();
  await row('new@team-a.test').waitFor({ state: 'detached', ...WAIT });
  t.equal(await meta.users.userById(invited as string), null, 'the invited user is gone');
  t.equal(await meta.users.peekInvite(hashSecret(url.split('/invite/')[1] as string), Date.now()), null, 'and the link no longer works');

  // Demoted while the page is open: the API's refusal replaces the page's controls.
  t.equal((await api(c.base, 'PATCH', `/v1/users/${otto}`, credsA.admin, { role: 'admin' })).status, 200);
  t.equal((await api(c.base, 'PATCH', `/v1/users/${ada}`, credsA.admin, { role: 'operator' })).status, 200);
  await page.locator('[data-field="team-denied"]', { hasText: 'your role: operator < admin' }).waitFor(WAIT);
  t.same(await usersOf(B.id), orgB, "another org's users are still unchanged");
  t.same(pageErrors, [], 'no page errors');
});

t.test("a refusal of a row's action is shown next to it, in the API's words, and changes nothing", async (t) => {
  const { page, pageErrors } = await openPage(t, `${c.base}/dashboard/`);
  await logIn(page, 'dora@default.test');
  await page.getByRole('link', { name: 'Team' }).click();
  const row = page.locator('tr[data-email="sam@default.test"]');
  await row.waitFor(WAIT);
  t.match(await row.textContent(), /admin \(service admin\)/);
  await page.getByLabel('Role of sam@default.test', { exact: true }).selectOption('viewer');
  await page.getByRole('button', { name: 'Change role of sam@default.test' }).click();
  await row.getByText("only a service admin can change a service admin's role (your role: not a service admin)").waitFor(WAIT);
  t.pass("the 403's reason is in the service admin's row");
  t.equal((await meta.users.userById(sam))?.role, 'admin', 'the store still has the role');
  page.once('dialog', (d) => void d.accept());
  await page.getByRole('button', { name: 'Remove sam@default.test' }).click();
  await row.getByText('only a service admin can remove a service admin').waitFor(WAIT);
  t.ok(await meta.users.userById(sam), 'nor is the service admin removed');
  t.equal(await page.getByRole('heading', { name: 'Invite a user' }).count(), 1, 'the rest of the page is still there');
  t.same(pageErrors, [], 'no page errors');
});
