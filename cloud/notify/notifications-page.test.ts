import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';
import t from 'tap';
import { ntfyReceiver } from '../../test/harness/notify-receivers.js';
import { BINARIES, findBinary } from '../../test/harness/packages.js';
import { createOrg } from '../admin.js';
import { createUser } from '../auth/users.js';
import { startCloud, testConfig } from '../testing/servers.js';

/**
 * The cloud dashboard's Notifications page in Debian's Chromium: an org admin adds an ntfy channel,
 * sends a test that a real ntfy-compatible endpoint receives, sees the delivery, removes the
 * channel; a bad URL shows the API's error naming the field; an operator sees no channel form.
 */
const ARGS = ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--no-first-run'];
const WAIT = { timeout: 60_000 };

execFileSync(process.execPath, ['scripts/build-dashboard.mjs'], { stdio: 'pipe' });
const c = await startCloud(t, testConfig(t, undefined, 'notify-page'), { notify: { intervalMs: 100 } });
const ntfy = await ntfyReceiver();
await ntfy.start();
t.teardown(() => ntfy.stop());
const org = await createOrg(c.cloud.stores.meta, 'kitchen-n', Date.now());
const users = { admin: 'admin@kitchen-n.test', operator: 'cook@kitchen-n.test' };
const password = 'kitchen n secret passphrase';
for (const [role, email] of Object.entries(users))
  await createUser(c.cloud.stores.meta, { email, orgId: org.id, role, password, publicUrl: c.base }, Date.now());

t.test('an org admin manages channels and sends a test; an operator only sees the attempts', async (t) => {
  const browser = await chromium.launch({ executablePath: findBinary(BINARIES.chromium), args: ARGS });
  t.teardown(() => browser.close());
  const login = async (email: string) => {
    const page = await browser.newPage();
    await page.goto(`${c.base}/dashboard/`);
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Kits' }).waitFor(WAIT);
    await page.getByRole('link', { name: 'Notifications' }).click();
    await page.getByRole('heading', { name: 'Notifications', level: 1 }).waitFor(WAIT);
    return page;
  };
  const page = await login(users.admin);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.getByText('No channel yet').waitFor(WAIT);

  await page.getByLabel('Kind').selectOption('ntfy');
  await page.getByLabel('Topic URL').fill('ftp://nowhere.example/x');
  await page.getByRole('button', { name: 'Add channel' }).click();
  await page.getByText(/body\.url/).waitFor(WAIT);
  t.pass("a bad URL shows the API's error, naming the field");
  await page.waitForTimeout(5000); // more than two of the page's 2 s refreshes
  t.ok(await page.getByText(/body\.url/).isVisible(), 'the error stays through the page refreshing itself');

  await page.getByLabel('Topic URL').fill(ntfy.url);
  await page.getByRole('button', { name: 'Add channel' }).click();
  await page.locator('tr[data-kind="ntfy"]').waitFor(WAIT);
  t.match(await page.locator('tr[data-kind="ntfy"]').textContent(), ntfy.url, 'the channel is listed');

  await page.getByRole('button', { name: 'Send a test notification' }).click();
  await page.locator('tr[data-state="sent"]').waitFor(WAIT);
  t.equal(ntfy.received.length, 1, 'the ntfy endpoint received the test');
  t.match(ntfy.received[0]?.text, /test notification from your sous-vide cloud/);
  t.match(await page.locator('tr[data-state="sent"]').textContent(), /ntfy.*delivered/, 'its delivery shows as delivered');

  const operator = await login(users.operator);
  await operator.getByText('Only an admin of the org').waitFor(WAIT);
  await operator.locator('tr[data-state="sent"]').waitFor(WAIT);
  t.equal(
    await operator.getByRole('button', { name: 'Add channel' }).count(),
    0,
    'an operator gets no channel form, but sees the attempts',
  );

  await page.getByRole('button', { name: 'Remove' }).click();
  await page.getByText('No channel yet').waitFor(WAIT);
  t.same((await c.cloud.stores.meta.notify.listChannels({ orgId: org.id }, { limit: 10 })).items, [], 'removed in the store');
  t.same(errors, [], 'no script errors');
});
