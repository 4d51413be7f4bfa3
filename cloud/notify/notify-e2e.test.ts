import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { waitFor } from '../../test/harness/index.js';
import { ntfyReceiver, smtpReceiver, webhookReceiver } from '../../test/harness/notify-receivers.js';
import { batch, event, uid } from '../testing/fixtures.js';
import { selfSigned } from '../testing/self-signed.js';
import { api, type RunningCloud, startCloud, tenant, testConfig } from '../testing/servers.js';

/**
 * The cloud notifies each org through the org's own channels, with real receivers: a webhook that
 * verifies X-Sousvide-Signature, an ntfy-compatible endpoint and an SMTP server (STARTTLS + auth).
 * Events relayed by org A's gateway reach org A's three receivers and none of org B's; a receiver
 * that is down gets them when it is back, also after the cloud restarted in between.
 */
const top = t;
const FAST = { retry: { baseMs: 200, maxMs: 1000, maxAttempts: 500 }, intervalMs: 100 };
const secretA = 'whsec-org-a-0123456789';
const secretB = 'whsec-org-b-0123456789';
const smtpPass = 'p@ss word';

const tlsDir = mkdtempSync(join(tmpdir(), 'sv-cloud-smtp-'));
const tls = selfSigned();
writeFileSync(join(tlsDir, 'ca.pem'), tls.cert);
const config = testConfig(t, undefined, 'notify-e2e', {
  'notify.smtpCaFile': join(tlsDir, 'ca.pem'),
  'notify.emailFrom': 'cloud@example.org',
});

const hookA = await webhookReceiver(secretA);
await hookA.start();
await hookA.stop(); // down at first: the cloud must retry
const hookB = await webhookReceiver(secretB);
await hookB.start();
const ntfy = await ntfyReceiver();
await ntfy.start();
const smtp = await smtpReceiver({ key: Buffer.from(tls.key), cert: Buffer.from(tls.cert) }, { user: 'cook', pass: smtpPass });
await smtp.start();
t.teardown(async () => {
  await Promise.all([hookA.stop(), hookB.stop(), ntfy.stop(), smtp.stop()]);
});

let c: RunningCloud = await startCloud(t, config, { notify: FAST });
const firstLogs = c.logs;
const A = await tenant(c);
const B = await tenant(c);
const kitA = uid('kit').toLowerCase();
const kitB = uid('kit').toLowerCase();
const counter = async (name: string, kind: string) => {
  const m = await c.cloud.metrics.registry.getSingleMetric(name)?.get();
  return m?.values.find((v) => v.labels.channel === kind)?.value ?? 0;
};

t.test('channels: an org admin adds them; secrets are never shown; bad input names the field', async (t) => {
  const add = (key: string, body: unknown) => api(c.base, 'POST', '/v1/notifications/channels', key, body);
  const wh = await add(A.admin, { kind: 'webhook', url: hookA.url, secret: secretA });
  t.equal(wh.status, 201);
  t.match(wh.body, { kind: 'webhook', url: hookA.url, secretSet: true });
  t.notOk(JSON.stringify(wh.body).includes(secretA), 'the secret is not in the answer');
  t.equal((await add(A.admin, { kind: 'ntfy', url: ntfy.url })).status, 201);
  const smtpUrl = smtp.url.replace('@localhost:', '@127.0.0.1:');
  const mail = await add(A.admin, { kind: 'email', smtpUrl, to: ['Cook@Example.org'] });
  t.equal(mail.status, 201);
  t.match(mail.body, { kind: 'email', to: ['cook@example.org'] });
  t.notOk(JSON.stringify(mail.body).includes(encodeURIComponent(smtpPass)), 'nor the SMTP password');
  t.match(mail.body.smtpUrl, /cook:\*\*\*@127\.0\.0\.1/);
  t.equal((await add(B.admin, { kind: 'webhook', url: hookB.url, secret: secretB })).status, 201);

  const list = await api(c.base, 'GET', '/v1/notifications/channels', A.admin);
  t.equal(list.status, 200);
  t.same(list.body.items.map((x: { kind: string }) => x.kind).sort(), ['email', 'ntfy', 'webhook'], "org A's three channels only");
  t.notOk(JSON.stringify(list.body).includes(secretA));

  const bad = await add(A.admin, { kind: 'webhook', url: 'ftp://example.org/x', secret: 'short' });
  t.equal(bad.status, 400);
  t.match(JSON.stringify(bad.body.error.details), /body\.url/, 'names the url');
  t.match(JSON.stringify(bad.body.error.details), /body\.secret: must be at least 16 characters/, 'and the secret');
  const kind = await add(A.admin, { kind: 'pager', url: 'https://example.org' });
  t.equal(kind.status, 400);
  t.match(JSON.stringify(kind.body.error.details), /body\.kind/);
  t.equal((await add(A.operator, { kind: 'ntfy', url: ntfy.url })).status, 403, 'an operator may not add channels');
  t.equal((await api(c.base, 'GET', '/v1/notifications/channels', A.viewer)).status, 403, 'nor a viewer read them');
  const other = list.body.items[0].id as string;
  t.equal((await api(c.base, 'DELETE', `/v1/notifications/channels/${other}`, B.admin)).status, 404, "org B cannot remove A's channel");
});

t.test("org A's relayed events reach org A's three receivers, none of org B's", async (t) => {
  const now = Date.now();
  const evs = [
    event(kitA, { type: 'reached', severity: 'info', ts: now - 3000, data: { targetC: 56 } }),
    event(kitA, { type: 'done', severity: 'info', ts: now - 2000, data: { targetC: 56, durationMin: 120 } }),
    event(kitA, { type: 'sensor_fault', severity: 'alarm', safety: true, ts: now - 1000, data: { kind: 'disconnected' } }),
    event(kitA, { type: 'heating', severity: 'info', ts: now - 4000, data: {} }),
  ];
  const body = batch(evs);
  const r = await api(c.base, 'POST', '/v1/ingest', A.gateway.token, body);
  t.equal(r.status, 200);
  t.equal((await api(c.base, 'POST', '/v1/ingest', A.gateway.token, body)).status, 200, 'a replay of the batch');
  const want = [evs[0], evs[1], evs[2]].map((e) => e?.id);

  await waitFor('ntfy and e-mail', async () => (ntfy.received.length >= 3 && smtp.received.length >= 3 ? true : undefined));
  t.same(
    ntfy.received.map((n) => n.id),
    want,
    'ntfy: reached, done, the probe fault, once each (the replay queued nothing), in order',
  );
  t.equal(ntfy.received[0]?.title, `Water is ready: ${kitA}`);
  t.equal(ntfy.received[2]?.priority, '4', 'a probe fault is priority 4');
  t.equal(ntfy.received[2]?.text, 'The probe is not reading: check its cable.');
  t.same(
    smtp.received.map((m) => m.id),
    want,
    'the SMTP server got the three mails',
  );
  t.ok(
    smtp.received.every((m) => m.secured && m.user === 'cook' && m.to[0] === 'cook@example.org' && m.from === 'cloud@example.org'),
    'over STARTTLS, authenticated, to the channel recipient',
  );
  t.match(smtp.received[1]?.subject, /\[info\] Cook complete/);
  t.equal(hookA.received.length, 0, 'the webhook that is down got nothing yet');
  t.equal(hookB.received.length, 0, "org B's webhook got nothing of org A's");
  t.ok((await counter('notify_failures_total', 'webhook')) >= 1, 'failed attempts are counted');
  // A receiver holds the message before the sender has its answer (SMTP's final 250 is still on
  // its way): the delivery is counted a moment after it arrived.
  await waitFor('the deliveries counted', async () =>
    (await counter('notify_deliveries_total', 'ntfy')) >= 3 && (await counter('notify_deliveries_total', 'email')) >= 3 ? true : undefined,
  );
  t.equal(await counter('notify_deliveries_total', 'ntfy'), 3, 'delivered, counted per kind');
  t.equal(await counter('notify_deliveries_total', 'email'), 3);

  const list = await api(c.base, 'GET', '/v1/notifications?state=pending', A.viewer);
  t.equal(list.status, 200);
  t.equal(list.body.items.length, 3, 'three webhook deliveries wait');
  t.match(list.body.items[0], { kind: 'webhook', state: 'pending', notification: { type: 'sensor_fault', deviceId: kitA } });
  t.ok(
    list.body.items.every((x: { attempts: number; lastError: string | null }) => x.attempts >= 1 && x.lastError),
    'with their error',
  );
  t.equal((await api(c.base, 'GET', '/v1/notifications', B.viewer)).body.items.length, 0, "org B sees none of A's attempts");
  const page = await api(c.base, 'GET', '/v1/notifications?limit=2', A.viewer);
  const rest = await api(c.base, 'GET', `/v1/notifications?limit=100&cursor=${page.body.nextCursor}`, A.viewer);
  t.equal(page.body.items.length + rest.body.items.length, 9, 'cursor paging walks all nine deliveries');
  t.equal((await api(c.base, 'GET', '/v1/notifications?state=lost', A.viewer)).status, 400);
});

t.test('the webhook that was down gets everything once it is back, also across a cloud restart', async (t) => {
  await c.cloud.stop();
  const restarted = await startCloud(top, config, { notify: FAST });
  c = restarted;
  await hookA.start();
  await waitFor('the webhook after it is back', async () => (hookA.received.length >= 3 ? true : undefined), 30_000);
  t.ok(
    hookA.received.every((d) => d.check.ok),
    'every signature verifies with org A secret',
  );
  t.same(hookA.received.map((d) => d.body.type).sort(), ['done', 'reached', 'sensor_fault']);
  t.same(Object.keys(hookA.received[0]?.body ?? {}), ['id', 'type', 'severity', 'deviceId', 'at', 'text'], 'the documented body');
  t.equal(hookB.received.length, 0, 'org B still got nothing');
  await c.cloud.notifier.idle();
  const sent = await api(c.base, 'GET', '/v1/notifications?state=sent&limit=100', A.viewer);
  t.equal(sent.body.items.length, 9, 'every delivery is sent');
});

t.test("org B's events reach org B's webhook only; a test notification; removing a channel", async (t) => {
  const before = { ntfy: ntfy.received.length, mail: smtp.received.length, hook: hookA.received.length };
  const ev = event(kitB, { type: 'over_temp', severity: 'critical', safety: true, ts: Date.now(), data: { tempC: 92.1, limitC: 90 } });
  t.equal((await api(c.base, 'POST', '/v1/ingest', B.gateway.token, batch([ev]))).status, 200);
  await waitFor("org B's webhook", async () => (hookB.received.length >= 1 ? true : undefined));
  t.match(hookB.received[0]?.body, { id: ev.id, type: 'over_temp', severity: 'critical', deviceId: kitB });
  t.ok(hookB.received[0]?.check.ok, "signed with org B's secret");

  const test = await api(c.base, 'POST', '/v1/notifications/test', B.admin, {});
  t.equal(test.status, 202);
  t.equal(test.body.deliveries, 1);
  await waitFor('the test message', async () => (hookB.received.length >= 2 ? true : undefined));
  t.match(hookB.received[1]?.body, { id: test.body.id, type: 'test', text: /sous-vide cloud/ });
  t.same(
    { ntfy: ntfy.received.length, mail: smtp.received.length, hook: hookA.received.length },
    before,
    "org A's receivers got nothing of org B's",
  );

  const ch = (await api(c.base, 'GET', '/v1/notifications/channels', B.admin)).body.items[0].id as string;
  t.equal((await api(c.base, 'DELETE', `/v1/notifications/channels/${ch}`, B.admin)).status, 204);
  t.equal((await api(c.base, 'DELETE', `/v1/notifications/channels/${ch}`, B.admin)).status, 404, 'gone');
  t.equal((await api(c.base, 'POST', '/v1/notifications/test', B.admin, {})).status, 409, 'no channel left to test');

  const logged = [...firstLogs, ...c.logs].join('');
  for (const hidden of [secretA, secretB, smtpPass, encodeURIComponent(smtpPass)])
    t.notOk(logged.includes(hidden), 'no secret in the logs');
});
