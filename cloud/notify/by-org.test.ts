import t from 'tap';
import { alarm, batch, event } from '../testing/fixtures.js';
import { api, startCloud, tenant, testConfig } from '../testing/servers.js';
import { OrgTurns, PerOrgBudget } from './by-org.js';

/**
 * The notification checks give each org its turn and a budget a check: one org's pile of open
 * critical alarms neither delays another org's reminder behind it nor takes a whole check.
 */

t.test('turns: one row of each org in turn; each org starts where its last check stopped', async (t) => {
  const rows = ['a1', 'a2', 'a3', 'b1', 'c1', 'c2'].map((id) => ({ id, orgId: id[0] as string }));
  const turns = new OrgTurns();
  const ids = (r: { id: string }[]) => r.map((x) => x.id);
  t.same(ids(turns.order(rows)), ['a1', 'b1', 'c1', 'a2', 'c2', 'a3']);
  turns.advance('a', 2);
  turns.advance('c', 1);
  t.same(ids(turns.order(rows)), ['a3', 'b1', 'c2', 'a1', 'c1', 'a2'], 'a starts at its third row, c at its second, b where it was');
  t.same(ids(turns.order(rows.filter((r) => r.orgId !== 'a'))), ['b1', 'c2', 'c1'], 'an org with no rows now');
  t.same(ids(turns.order(rows)), ['a1', 'b1', 'c2', 'a2', 'c1', 'a3'], 'starts afresh when it has rows again');
  t.same(turns.order([]), []);

  const budget = new PerOrgBudget(2);
  t.ok(budget.take('a'));
  budget.queuedOne('a');
  t.ok(budget.take('a'), 'a row gone through without queueing costs nothing');
  t.ok(budget.take('a'));
  budget.queuedOne('a');
  t.notOk(budget.take('a'), 'two queued: no more for a in this check');
  t.ok(budget.take('b'), 'another org has its own');
  t.same(
    [...budget.visited],
    [
      ['a', 3],
      ['b', 1],
    ],
  );
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

t.test('with more reminders due than an org may queue, each alarm still gets its turn (none starves)', async (t) => {
  let clock = Date.now();
  const c = await startCloud(t, testConfig(t, undefined, 'remind-turns', { 'notify.repeatMin': 10 }), {
    now: () => clock,
    // One notification an org a check: 20 checks a period for 30 alarms, fewer than are due.
    notify: { intervalMs: 3_600_000, offlineCheckMs: 3_600_000, perOrgCheck: 1 },
  });
  const A = await tenant(c);
  for (const url of ['http://127.0.0.1:9/one', 'http://127.0.0.1:9/two']) {
    const r = await api(c.base, 'POST', '/v1/notifications/channels', A.admin, {
      kind: 'webhook',
      url,
      secret: 'whsec-fairness-0123456789',
    });
    t.equal(r.status, 201);
  }
  const records = Array.from({ length: 30 }, (_, i) => {
    const ev = event(`kit-${i}`, { type: 'over_temp', severity: 'critical', safety: true, ts: clock, data: { tempC: 97, limitC: 95 } });
    return [ev, alarm(`kit-${i}`, { id: ev.id, raisedAt: clock })];
  }).flat();
  t.equal((await api(c.base, 'POST', '/v1/ingest', A.gateway.token, batch(records))).status, 200);
  clock += 10 * 60_000;
  let queued = 0;
  for (let check = 0; check < 60; check++) {
    clock += 30_000;
    queued += await c.cloud.notifier.checkReminders();
  }
  t.equal(queued, 2 * 60, 'one notification a check, to both channels');
  const rows = await c.cloud.stores.meta.notify.listDeliveries({ orgId: A.orgId }, {}, { limit: 1000 });
  const reminded = new Set(rows.items.filter((d) => /~r\d+$/.test(d.notification.id)).map((d) => d.notification.deviceId));
  t.equal(reminded.size, 30, 'every alarm was reminded within three periods');
});
