import t from 'tap';
import { startMariaDb, waitFor } from '../../test/harness/index.js';
import { webhookReceiver } from '../../test/harness/notify-receivers.js';
import { alarm, batch, event, uid } from '../testing/fixtures.js';
import { api, startCloud, tenant, testConfig } from '../testing/servers.js';

/**
 * Two cloud instances on one MariaDB (the production meta store): a gateway that stops relaying
 * for notify.gatewayOfflineMin notifies its org once, whichever instances run the check and however
 * often; its next silence notifies again. Relayed events are delivered once although both
 * instances' workers race for the rows. An open critical alarm reminds its org every
 * notify.repeatMin until acknowledged, once per reminder with both instances checking. Time is
 * faked (the clock both instances read).
 */
const mysql = await startMariaDb(t);
let clock = Date.now();
const now = () => clock;
const opts = { now, notify: { intervalMs: 50, offlineCheckMs: 3_600_000, retry: { baseMs: 100, maxMs: 500, maxAttempts: 50 } } };
const cfg = (ns: string) => testConfig(t, undefined, ns, { 'mysql.url': mysql.url, 'notify.gatewayOfflineMin': 10 });
const x = await startCloud(t, cfg('offline-x'), opts);
const y = await startCloud(t, cfg('offline-y'), opts);

const hookA = await webhookReceiver('whsec-offline-a-0123456789');
await hookA.start();
const hookB = await webhookReceiver('whsec-offline-b-0123456789');
await hookB.start();
t.teardown(async () => {
  await hookA.stop();
  await hookB.stop();
});
const A = await tenant(x);
const B = await tenant(x);
for (const [org, hook, secret] of [
  [A, hookA, 'whsec-offline-a-0123456789'],
  [B, hookB, 'whsec-offline-b-0123456789'],
] as const) {
  const r = await api(y.base, 'POST', '/v1/notifications/channels', org.admin, { kind: 'webhook', url: hook.url, secret });
  if (r.status !== 201) throw new Error(JSON.stringify(r.body));
}
const heartbeat = async (token: string, via = x) => {
  const r = await api(via.base, 'POST', '/v1/ingest', token, batch([]));
  if (r.status !== 200) throw new Error(JSON.stringify(r.body));
};
const checkBoth = async () =>
  (await Promise.all([x.cloud.notifier.checkOffline(), y.cloud.notifier.checkOffline()])).reduce((a, b) => a + b);
const settle = async () => {
  await new Promise((r) => setTimeout(r, 400));
  await Promise.all([x.cloud.notifier.idle(), y.cloud.notifier.idle()]);
};
const offline = (hook: typeof hookA) => hook.received.filter((d) => d.body.type === 'gateway_offline');

t.test('a silent gateway notifies its org once, with two instances checking', async (t) => {
  await heartbeat(A.gateway.token);
  await heartbeat(B.gateway.token, y);
  clock += 5 * 60_000;
  t.equal(await checkBoth(), 0, 'five minutes of silence: nothing yet');
  clock += 6 * 60_000;
  t.equal(await checkBoth(), 2, "eleven minutes: one delivery for each org's gateway, from one instance each");
  await waitFor('the offline notifications', async () => (offline(hookA).length >= 1 && offline(hookB).length >= 1 ? true : undefined));
  // The sends are done before the clock moves: a claim's lease runs on this clock.
  await settle();
  for (let i = 0; i < 3; i++) {
    clock += 60_000;
    t.equal(await checkBoth(), 0, 'later checks claim nothing new');
  }
  await settle();
  t.equal(offline(hookA).length, 1, 'org A heard it once');
  t.equal(offline(hookB).length, 1, 'org B heard it once');
  t.ok(hookA.received[0]?.check.ok, 'signed');
  t.match(hookA.received[0]?.body, {
    type: 'gateway_offline',
    severity: 'alarm',
    deviceId: null,
    text: new RegExp(`The gateway ${A.gateway.id} has not reported to the cloud for 11 min`),
  });
  t.match(hookB.received[0]?.body, { text: new RegExp(B.gateway.id) }, "org B's is about its own gateway");
  t.notMatch(JSON.stringify(hookB.received), A.gateway.id, "and nothing about org A's");
});

t.test('back, then silent again: a new notification', async (t) => {
  await heartbeat(A.gateway.token, y);
  clock += 2 * 60_000;
  t.equal(await checkBoth(), 0, 'it is back');
  clock += 10 * 60_000;
  t.equal(await checkBoth(), 1, 'silent again (B was already notified for its silence)');
  await waitFor('the second silence', async () => (offline(hookA).length >= 2 ? true : undefined));
  await settle();
  t.equal(offline(hookA).length, 2);
  t.not(offline(hookA)[0]?.body.id, offline(hookA)[1]?.body.id, 'each silence has its own id');
  t.equal(offline(hookB).length, 1);
});

t.test('relayed events are delivered once although both workers race for them', async (t) => {
  const kit = uid('kit').toLowerCase();
  const evs = Array.from({ length: 12 }, (_, i) =>
    event(kit, {
      type: i % 2 ? 'reached' : 'sensor_fault',
      severity: i % 2 ? 'info' : 'alarm',
      ts: clock - 1000 + i,
      data: { targetC: 56 },
    }),
  );
  const before = hookA.received.length;
  t.equal((await api(x.base, 'POST', '/v1/ingest', A.gateway.token, batch(evs.slice(0, 6)))).status, 200);
  t.equal((await api(y.base, 'POST', '/v1/ingest', A.gateway.token, batch(evs.slice(6)))).status, 200);
  await waitFor('twelve notifications', async () => (hookA.received.length >= before + 12 ? true : undefined));
  await settle();
  const ids = hookA.received.slice(before).map((d) => d.body.id);
  t.equal(ids.length, 12, 'twelve deliveries, no duplicate');
  t.same([...new Set(ids)].sort(), evs.map((e) => e.id).sort(), 'each event once');
  const sent = async (c: typeof x) =>
    (await c.cloud.metrics.registry.getSingleMetric('notify_deliveries_total')?.get())?.values.find((v) => v.labels.channel === 'webhook')
      ?.value ?? 0;
  t.equal((await sent(x)) + (await sent(y)), hookA.received.length + hookB.received.length, 'the two instances counted each once');
});

t.test('an open critical alarm reminds its org every notify.repeatMin until acknowledged, once with two instances', async (t) => {
  const kit = uid('kit').toLowerCase();
  const ev = event(kit, { type: 'over_temp', severity: 'critical', safety: true, ts: clock, data: { tempC: 97, limitC: 95 } });
  const raised = alarm(kit, { id: ev.id, raisedAt: clock });
  t.equal((await api(x.base, 'POST', '/v1/ingest', A.gateway.token, batch([ev, raised]))).status, 200);
  const ofAlarm = () => hookA.received.map((d) => String(d.body.id)).filter((id) => id.startsWith(ev.id));
  await waitFor('the alarm itself', async () => (ofAlarm().length >= 1 ? true : undefined));
  const remindBoth = async () =>
    (await Promise.all([x.cloud.notifier.checkReminders(), y.cloud.notifier.checkReminders()])).reduce((a, b) => a + b);
  clock += 5 * 60_000;
  t.equal(await remindBoth(), 0, 'five minutes: no reminder yet');
  clock += 6 * 60_000;
  t.equal(await remindBoth(), 1, 'past notify.repeatMin (10 min): one reminder, queued by one instance');
  t.equal(await remindBoth(), 0, 'checked again at once: already claimed');
  // Delivered before the clock jumps again: a claim's lease runs on this clock, and a send still in
  // flight when ten minutes pass is another instance's to retry (at least once, a duplicate).
  await waitFor('the first reminder', async () => (ofAlarm().length >= 2 ? true : undefined));
  await settle();
  clock += 10 * 60_000;
  t.equal(await remindBoth(), 1, 'ten minutes later: the second');
  await waitFor('two reminders', async () => (ofAlarm().length >= 3 ? true : undefined));
  const ack = await api(y.base, 'POST', `/v1/alarms/${ev.id}/ack`, A.operator, { note: 'on it' });
  t.equal(ack.status, 200, 'acknowledged in the cloud');
  clock += 30 * 60_000;
  t.equal(await remindBoth(), 0, 'acknowledged: no more reminders, although the alarm is not cleared');
  await settle();
  t.same(ofAlarm(), [ev.id, `${ev.id}~r1`, `${ev.id}~r2`], 'the alarm and two reminders, each once');
  const first = hookA.received.find((d) => d.body.id === `${ev.id}~r1`);
  t.ok(first?.check.ok, 'signed');
  t.match(first?.body, { type: 'over_temp', severity: 'critical', deviceId: kit, text: /^Still not resolved \(reminder 1, since / });
  t.notOk(
    hookB.received.some((d) => String(d.body.id).startsWith(ev.id)),
    "org B heard nothing of org A's alarm",
  );
});
