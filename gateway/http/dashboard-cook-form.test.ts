import type { Page } from 'playwright-core';
import t from 'tap';
import { gatewayDashboard, minutesText, until, WAIT } from '../testing/dashboard.js';

/**
 * The kit page's cook form and times in Debian's Chromium on a real gateway: "Change cook" shows
 * and sends the whole running cook (food kind, shape, thickness, the low-temperature override),
 * so editing the timer keeps safe-at; a change made elsewhere refills the form; a target the API
 * accepts (60.2 °C) is one the form accepts; "Time left" is the API's (control reachedTs, doneAt)
 * on the kit page and its card, however many events followed the bath reaching the target.
 */
const form = (page: Page) => ({
  target: page.locator('#cook-target'),
  minutes: page.locator('#cook-duration'),
  food: page.locator('#cook-food'),
  kind: page.locator('#cook-kind'),
  shape: page.locator('#cook-shape'),
  thickness: page.locator('#cook-thickness'),
  override: page.locator('#cook-override'),
  submit: page.locator('form.cook-form button[type="submit"]'),
});
const values = async (page: Page) => {
  const f = form(page);
  return {
    target: await f.target.inputValue(),
    minutes: await f.minutes.inputValue(),
    food: await f.food.inputValue(),
    kind: await f.kind.inputValue(),
    shape: await f.shape.inputValue(),
    thickness: await f.thickness.inputValue(),
    override: await f.override.isChecked(),
  };
};

const { api, base, open, kit } = await gatewayDashboard(t);

/** Opens the page of a kit with a running cook, once the form shows it (its target, `target`). */
async function kitPage(id: string, target: string) {
  const { page, pageErrors } = await open();
  await page.goto(`${base}/dashboard/#/kit/${id}`);
  const f = form(page);
  await f.submit.filter({ hasText: 'Change cook' }).waitFor(WAIT);
  await until('the form shows the running cook', async () => (await f.target.inputValue()) === target);
  return { page, pageErrors, f };
}
// A low-temperature cook (below 54.4 °C for more than 4 h): the API takes it with the override only.
const spec = { targetC: 52, durationMin: 300, food: 'pork belly', foodKind: 'beef-pork', foodShape: 'cylinder', thicknessMm: 40 };

t.test('Change cook shows and sends the whole running cook (food kind, shape, thickness, override)', async (t) => {
  await kit('kit-pork', 50);
  t.equal((await api('PUT', '/v1/devices/kit-pork/cook', spec)).status, 400, 'without the override the API refuses it');
  t.equal((await api('PUT', '/v1/devices/kit-pork/cook', { ...spec, lowTempOverride: true })).status, 200, 'with it, it runs');
  const { page, pageErrors, f } = await kitPage('kit-pork', '52');
  t.same(
    await values(page),
    { target: '52', minutes: '300', food: 'pork belly', kind: 'beef-pork', shape: 'cylinder', thickness: '40', override: true },
    'every field of the running cook, the override ticked',
  );
  // Only the timer edited: the API gets the whole cook back.
  await f.minutes.fill('320');
  await f.submit.click();
  await page.getByText('Cook set to').waitFor(WAIT);
  const after = (await api('GET', '/v1/devices/kit-pork')).body;
  t.same(after.cook.spec, { ...spec, durationMin: 320, lowTempOverride: true }, 'the API holds the same cook with the new timer');
  t.not(after.safety, null, 'so safe-at is still computed');
  t.equal(await page.locator('[data-field="cook-error"]').textContent(), '', 'no refusal');
  t.same(pageErrors, [], 'no page errors');
});

t.test('the printed cook report has the year and zone on its times, and a time axis and unit on its curve', async (t) => {
  const cook = (await api('GET', '/v1/devices/kit-pork')).body.cook;
  const { page, pageErrors } = await open();
  await page.goto(`${base}/dashboard/#/cook/${encodeURIComponent(cook.id)}`);
  const started = page.locator('[data-field="started"]');
  await started.filter({ hasText: /\S/ }).waitFor(WAIT);
  t.match(await started.textContent(), String(new Date(cook.startedTs).getFullYear()), 'Started has the year');
  t.match(await started.textContent(), /UTC|GMT|[A-Z]{2,5}$/, 'and the time zone');
  await page
    .locator('svg.curve [data-axis="time"]')
    .first()
    .waitFor({ state: 'attached', ...WAIT });
  t.equal(await page.locator('svg.curve [data-axis="time"]').count(), 3, 'the curve has a time axis (start, middle, end)');
  t.equal(await page.locator('svg.curve [data-axis="unit"]').textContent(), '°C', 'and its unit');
  t.same(pageErrors, [], 'no page errors');
});

t.test('a change made elsewhere refills the form, unless it is being edited', async (t) => {
  await kit('kit-roast', 50);
  t.equal((await api('PUT', '/v1/devices/kit-roast/cook', { targetC: 56, durationMin: 120, food: 'roast' })).status, 200);
  const { page, pageErrors, f } = await kitPage('kit-roast', '56');
  // Changed elsewhere (another tab, Home Assistant, the cloud): the form follows.
  const elsewhere = { ...spec, targetC: 53, durationMin: 280, thicknessMm: 35, lowTempOverride: true };
  t.equal((await api('PUT', '/v1/devices/kit-roast/cook', elsewhere)).status, 200);
  await until('the form shows the cook changed elsewhere', async () => (await f.target.inputValue()) === '53');
  t.same(
    await values(page),
    { target: '53', minutes: '280', food: 'pork belly', kind: 'beef-pork', shape: 'cylinder', thickness: '35', override: true },
    'the form refilled with the new cook',
  );
  // Being edited, it is left alone: a change elsewhere does not undo what is typed.
  await f.food.fill('pork shoulder');
  t.equal((await api('PUT', '/v1/devices/kit-roast/cook', { ...elsewhere, durationMin: 270 })).status, 200);
  await page.getByText('The cook was changed elsewhere').waitFor(WAIT);
  t.equal(await f.food.inputValue(), 'pork shoulder', 'what the user typed stays');
  t.same(pageErrors, [], 'no page errors');
});

t.test('a cook at 60.2 °C (the API takes it) can be changed from the °C form', async (t) => {
  await kit('kit-duck', 50);
  t.equal((await api('PUT', '/v1/devices/kit-duck/cook', { targetC: 60.2, durationMin: 30 })).status, 200);
  const { page, pageErrors, f } = await kitPage('kit-duck', '60.2');
  t.ok(await f.target.evaluate((e) => (e as unknown as { checkValidity(): boolean }).checkValidity()), 'the form takes 60.2 °C');
  await f.minutes.fill('45');
  await f.submit.click();
  await page.getByText('Cook set to').waitFor(WAIT);
  t.match((await api('GET', '/v1/devices/kit-duck')).body.cook.spec, { targetC: 60.2, durationMin: 45 }, 'and the API has the new timer');
  t.same(pageErrors, [], 'no page errors');
});

t.test("Time left is the API's, on the kit page and its card, after many events", async (t) => {
  await kit('kit-egg', 45);
  await kit('kit-busy', 20);
  t.equal((await api('PUT', '/v1/devices/kit-egg/cook', { targetC: 45, durationMin: 30 })).status, 200);
  const detail = async () => (await api('GET', '/v1/devices/kit-egg')).body;
  await until('the bath reached the target', async () => (await detail()).control?.reachedTs != null);
  const d = await detail();
  t.equal(d.cook.state, 'holding');
  t.equal(d.doneAt, d.control.reachedTs + 30 * 60_000, "the API's doneAt is the timer from reachedTs");

  // More than 300 events after the bath reached the target (cook changes on another kit).
  const refused: number[] = [];
  const reachedInNewest = async () =>
    ((await api('GET', '/v1/events?limit=300')).body.items as { type: string }[]).some((e) => e.type === 'reached');
  while ((await reachedInNewest()) && refused.length === 0) {
    for (let j = 0; j < 50; j++) {
      const r = await api('PUT', '/v1/devices/kit-busy/cook', { targetC: j % 2 ? 55 : 55.5, durationMin: 90 });
      if (r.status !== 200) refused.push(r.status);
    }
  }
  t.same(refused, [], 'every cook change accepted');

  const { page, pageErrors } = await open();
  // What the page shows against doneAt − now, read between two clock readings (a minute may turn between).
  const agrees = async (where: string) => {
    const el = page.locator(where);
    await el.filter({ hasText: /\S/ }).waitFor(WAIT);
    let shown = '';
    const ok = await until(
      `${where} shows doneAt − now`,
      async () => {
        const before = minutesText(d.doneAt - Date.now());
        shown = (await el.textContent()) ?? '';
        return shown === before || shown === minutesText(d.doneAt - Date.now());
      },
      40,
    ).then(
      () => true,
      () => false,
    );
    return { ok, shown };
  };
  const card = await agrees('li.kit[data-kit="kit-egg"] [data-field="left"]');
  t.ok(card.ok, `the card's time left is doneAt − now (shows "${card.shown}")`);
  await page.goto(`${base}/dashboard/#/kit/kit-egg`);
  const kitPage = await agrees('dd[data-field="left"]');
  t.ok(kitPage.ok, `the kit page's time left is doneAt − now (shows "${kitPage.shown}")`);
  t.same(pageErrors, [], 'no page errors');
});
