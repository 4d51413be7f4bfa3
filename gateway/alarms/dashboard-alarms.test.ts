import t from 'tap';
import { gatewayDashboard, until, WAIT } from '../testing/dashboard.js';

/**
 * The dashboard's active alarms are the API's (GET /v1/alarms), in Debian's Chromium on a real
 * gateway: a critical alarm still open after more than 300 later events (cook changes on another
 * kit) is on its kit's card and in "Active alarms", as the API holds it; acknowledged, it stays
 * (marked so); cleared (the water cools), it goes through the stream's alarm messages.
 */
t.test('an open critical alarm stays on the Kits page and in Active alarms however many events follow', async (t) => {
  let ahead = 0; // the control clock runs ahead of the wall clock by this much
  const { api, open, kit } = await gatewayDashboard(t, {}, { now: () => Date.now() + ahead });
  const hot = await kit('kit-hot', 97);
  await kit('kit-busy', 20);
  const alarm = await until('the over-temperature alarm is open', async () => {
    const r = await api('GET', '/v1/alarms?state=open');
    return r.body.items.some((a: { type: string }) => a.type === 'over_temp');
  }).then(async () => (await api('GET', '/v1/alarms?state=open')).body.items.find((a: { type: string }) => a.type === 'over_temp'));
  t.match(alarm, { deviceId: 'kit-hot', severity: 'critical', state: 'open' });

  // More than 300 ordinary events after it: each cook change on kit-busy is a `heating` event.
  const newest300 = async () => (await api('GET', '/v1/events?limit=300')).body.items as { type: string; deviceId: string }[];
  const refused: number[] = [];
  while ((await newest300()).some((e) => e.type === 'over_temp') && refused.length === 0) {
    for (let j = 0; j < 50; j++) {
      const r = await api('PUT', '/v1/devices/kit-busy/cook', { targetC: j % 2 ? 55 : 55.5, durationMin: 90 });
      if (r.status !== 200) refused.push(r.status);
    }
  }
  t.same(refused, [], 'every cook change accepted');
  t.notOk(
    (await newest300()).some((e) => e.type === 'over_temp'),
    'the alarm is no longer among the newest 300 events',
  );
  const stillOpen = (await api('GET', '/v1/alarms?state=open')).body.items.map((a: { id: string }) => a.id);
  t.ok(stillOpen.includes(alarm.id), 'and the API still holds it open');

  const { page, pageErrors } = await open();
  const card = page.locator('li.kit[data-kit="kit-hot"] [data-field="alarms"]');
  await card.filter({ hasText: /\S/ }).waitFor(WAIT);
  await page.locator('li.kit[data-kit="kit-busy"] [data-field="alarms"]').filter({ hasText: /\S/ }).waitFor(WAIT);
  t.match(await card.textContent(), alarm.text, "the kit's card shows the open alarm in the API's words");
  t.match(await card.textContent(), /^critical: /, 'with its severity');
  t.ok(await page.locator('li.kit[data-kit="kit-hot"].alarm').count(), 'and the card is marked as in alarm');
  t.equal(await page.locator('li.kit[data-kit="kit-busy"] [data-field="alarms"]').textContent(), 'none', 'the other kit has none');

  await page.getByRole('link', { name: 'Alarms & events' }).click();
  const active = page.locator('ul.alarms li');
  await active.first().waitFor(WAIT);
  t.equal(await active.count(), 1, 'one active alarm on the Alarms & events page');
  t.match(await active.first().textContent(), `kit-hot critical: ${alarm.text}`, "the API's alarm, with its kit");

  // Acknowledged (through the API, as from another tab or the cloud): still active, marked so.
  t.equal((await api('POST', `/v1/alarms/${alarm.id}/ack`, { note: 'seen' })).status, 200);
  await active.filter({ hasText: '(acknowledged)' }).waitFor(WAIT);
  t.pass('an acknowledged alarm stays in Active alarms, marked acknowledged');
  await page.getByRole('link', { name: 'Kits' }).click();
  await card.filter({ hasText: '(acknowledged)' }).waitFor(WAIT);
  t.pass('and on its card');

  // The water cools (time for it to cool, so not a probe jump): the alarm clears (API), and the card follows.
  ahead += 20 * 60_000;
  hot.set(50);
  await until('the alarm is cleared in the API', async () => {
    const r = await api('GET', '/v1/alarms?state=cleared');
    return r.body.items.some((a: { id: string }) => a.id === alarm.id);
  });
  await card.filter({ hasText: /^none$/ }).waitFor(WAIT);
  t.pass('the cleared alarm leaves the card');
  t.same(pageErrors, [], 'no page errors');
});
