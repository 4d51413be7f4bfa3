import t from 'tap';
import { alarm, batch, event } from '../testing/fixtures.js';
import { api, startCloud, tenant, testConfig } from '../testing/servers.js';
import { PerOrgBudget, roundRobinByOrg } from './by-org.js';

/**
 * The notification checks give each org its turn and a budget a check: one org's pile of open
 * critical alarms neither delays another org's reminder behind it nor takes a whole check.
 */

t.test('round robin: one row of each org in turn, each org in its own order', async (t) => {
  const rows = ['a1', 'a2', 'a3', 'b1', 'c1', 'c2'].map((id) => ({ id, orgId: id[0] as string }));
  t.same(
    roundRobinByOrg(rows).map((r) => r.id),
    ['a1', 'b1', 'c1', 'a2', 'c2', 'a3'],
  );
  t.same(roundRobinByOrg([]), []);
  const budget = new PerOrgBudget(2);
  budget.spend('a', 1);
  budget.spend('a', 0);
  t.ok(budget.has('a'), 'spent 1 of 2');
  budget.spend('a', 1);
  t.notOk(budget.has('a'), 'spent');
  t.ok(budget.has('b'), 'another org has its own');
});

t.test("one org's 150 open critical alarms: another org's reminder comes in the same check; the org's own wait their turn", async (t) => {
  let clock = Date.now();
  const c = await startCloud(t, testConfig(t, undefined, 'remind-fair', { 'notify.repeatMin': 10 }), {
    now: () => clock,
    // No delivery pass and no timed check: the test runs the check and reads the queue.
    notify: { intervalMs: 3_600_000, offlineCheckMs: 3_600_000 },
  });
  const A = await tenant(c);
  const B = await tenant(c);
  for (const org of [A, B]) {
    const r = await api(c.base, 'POST', '/v1/notifications/channels', org.admin, {
      kind: 'webhook',
      url: 'http://127.0.0.1:9/hook',
      secret: 'whsec-fairness-0123456789',
    });
    t.equal(r.status, 201);
  }
  const raise = (kit: string) => {
    const ev = event(kit, { type: 'over_temp', severity: 'critical', safety: true, ts: clock, data: { tempC: 97, limitC: 95 } });
    return [ev, alarm(kit, { id: ev.id, raisedAt: clock })];
  };
  const aKits = Array.from({ length: 150 }, (_, i) => `a-kit-${i}`);
  t.equal((await api(c.base, 'POST', '/v1/ingest', A.gateway.token, batch(aKits.flatMap(raise)))).status, 200);
  clock += 1000; // B's alarm is the newest: with the rows in raise order it would come last
  t.equal((await api(c.base, 'POST', '/v1/ingest', B.gateway.token, batch(raise('b-kit')))).status, 200);

  const reminders = async (org: typeof A) => {
    const rows = await c.cloud.stores.meta.notify.listDeliveries({ orgId: org.orgId }, {}, { limit: 500 });
    return rows.items.filter((d) => d.notification.id.endsWith('~r1')).map((d) => d.notification.deviceId);
  };
  clock += 11 * 60_000;
  t.equal(await c.cloud.notifier.checkReminders(), 101, 'one check: 100 of A (its budget) and B’s one');
  t.same(await reminders(B), ['b-kit'], "B's reminder is queued in that check");
  t.equal((await reminders(A)).length, 100);
  clock += 30_000;
  t.equal(await c.cloud.notifier.checkReminders(), 50, "the next check: A's other 50");
  const all = await reminders(A);
  t.same([...new Set(all)].sort(), [...aKits].sort(), "each of A's alarms reminded once");
  t.equal(all.length, 150);
  t.equal(await c.cloud.notifier.checkReminders(), 0, 'nothing more is due');
});
