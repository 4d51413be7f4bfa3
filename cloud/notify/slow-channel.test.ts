import t from 'tap';
import { waitFor } from '../../test/harness/index.js';
import { stallingReceiver, webhookReceiver } from '../../test/harness/notify-receivers.js';
import { batch, event, uid } from '../testing/fixtures.js';
import { api, startCloud, tenant, testConfig } from '../testing/servers.js';

/**
 * One org's channel that never answers holds back only its own deliveries: org B's alarm reaches
 * B's receiver while org A's webhook still hangs on its first row (each of A's rows would take the
 * 15 s send timeout, and A has 30 of them).
 */
const secretB = 'whsec-org-b-0123456789';
const stall = await stallingReceiver();
const hookB = await webhookReceiver(secretB);
await hookB.start();
const c = await startCloud(t, testConfig(t, undefined, 'notify-slow'), {
  notify: { intervalMs: 100, retry: { baseMs: 60_000, maxMs: 60_000, maxAttempts: 5 } },
});
t.teardown(async () => {
  await stall.stop(); // first: the cloud's stop waits for the send under way
  await hookB.stop();
});
const A = await tenant(c);
const B = await tenant(c);

t.test("a channel that hangs does not hold back another org's notifications", async (t) => {
  const channel = (key: string, url: string, secret: string) =>
    api(c.base, 'POST', '/v1/notifications/channels', key, { kind: 'webhook', url, secret });
  t.equal((await channel(A.admin, stall.url, 'whsec-org-a-0123456789')).status, 201);
  t.equal((await channel(B.admin, hookB.url, secretB)).status, 201);
  const now = Date.now();
  const kitA = uid('kit').toLowerCase();
  const many = Array.from({ length: 30 }, (_, i) =>
    event(kitA, { type: 'sensor_fault', severity: 'alarm', safety: true, ts: now - 60_000 + i, data: { kind: 'disconnected' } }),
  );
  t.equal((await api(c.base, 'POST', '/v1/ingest', A.gateway.token, batch(many))).status, 200);
  await waitFor("A's first row at its hanging receiver", async () => (stall.arrived() >= 1 ? true : undefined));

  const kitB = uid('kit').toLowerCase();
  const alarm = event(kitB, { type: 'sensor_fault', severity: 'alarm', safety: true, ts: now, data: { kind: 'disconnected' } });
  t.equal((await api(c.base, 'POST', '/v1/ingest', B.gateway.token, batch([alarm]))).status, 200);
  // Generous: a wait, not a timing assertion. Before channels had lanes, B waited for A's 30 rows.
  await waitFor("B's alarm at B's receiver", async () => (hookB.received.length >= 1 ? true : undefined), 12_000);
  t.same(
    hookB.received.map((d) => [d.body.id, d.check.ok]),
    [[alarm.id, true]],
    "B's alarm arrived, signed",
  );
  t.equal(stall.arrived(), 1, "A's lane is still on its first row: nothing of A's was sent meanwhile");
  const pendingA = await api(c.base, 'GET', '/v1/notifications?state=pending&limit=100', A.admin);
  t.equal(pendingA.body.items.length, 30, "all 30 of A's deliveries still wait");
  const sentB = await api(c.base, 'GET', '/v1/notifications?state=sent', B.admin);
  t.same(
    sentB.body.items.map((x: { notification: { id: string } }) => x.notification.id),
    [alarm.id],
    "B's delivery is recorded as sent",
  );
});
