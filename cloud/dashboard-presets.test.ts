import { execFileSync } from 'node:child_process';
import t from 'tap';
import { createOrg } from './admin.js';
import { createUser } from './auth/users.js';
import { openPage } from './testing/chromium.js';
import { batch, registry, telemetry, uid } from './testing/fixtures.js';
import { api, credentials, startCloud, testConfig } from './testing/servers.js';

/**
 * The cloud dashboard's cook form offers the org's presets (Debian's Chromium): a preset saved
 * through the API is offered on a kit's page, picking it fills the form, and the cook started
 * from the form is the preset's spec in the desired state the store holds.
 */
const WAIT = { timeout: 60_000 };

execFileSync(process.execPath, ['scripts/build-dashboard.mjs'], { stdio: 'pipe' }); // the bundle of these sources
const c = await startCloud(t, testConfig(t, undefined, 'dash-presets'));
const meta = c.cloud.stores.meta;
const org = await createOrg(meta, 'kitchen-p', Date.now());
const creds = await credentials(c, org.id);
const kit = uid('kit').toLowerCase();
await api(c.base, 'POST', '/v1/ingest', creds.gateway.token, batch([registry([kit]), telemetry(kit, 1, 1)]));
const email = 'chef@kitchen-p.test';
const password = 'kitchen-p secret passphrase';
await createUser(meta, { email, orgId: org.id, role: 'operator', password, publicUrl: c.base }, Date.now());
const spec = { targetC: 60, durationMin: 90, food: 'chicken breast', foodKind: 'poultry', foodShape: 'slab', thicknessMm: 25 };

t.test("the cook form offers the org's presets and starts the preset's cook", async (t) => {
  t.equal((await api(c.base, 'PUT', '/v1/presets/chicken-breast', creds.operator, spec)).status, 200, 'a preset saved through the API');
  const { page, pageErrors } = await openPage(t, `${c.base}/dashboard/`);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Kits' }).waitFor(WAIT);
  await page.getByRole('link', { name: kit }).click();
  await page.getByRole('heading', { name: kit }).waitFor(WAIT);
  await page.getByLabel('Preset').selectOption('chicken-breast', WAIT);
  t.equal(await page.getByLabel('Target °C').inputValue(), '60', 'picking the preset fills the form');
  t.equal(await page.getByLabel(/Thickness/).inputValue(), '25');
  await page.getByRole('button', { name: 'Start cook' }).click();
  const deadline = Date.now() + 30_000;
  let desired = await meta.getDesiredCook({ orgId: org.id }, kit);
  while (desired === null && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    desired = await meta.getDesiredCook({ orgId: org.id }, kit);
  }
  t.same(desired?.spec, spec, "the desired cook is the preset's spec");
  t.same(pageErrors, [], 'no page errors');
});
