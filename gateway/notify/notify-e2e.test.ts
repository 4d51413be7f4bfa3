import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { MqttClient } from 'mqtt';
import t from 'tap';
import { createLogger } from '../../shared/log.js';
import { Command } from '../../shared/protocol/messages.js';
import { ThermalSim } from '../../shared/thermal/simulator.js';
import { waitFor } from '../../test/harness/index.js';
import { ntfyReceiver, smtpReceiver, webhookReceiver } from '../../test/harness/notify-receivers.js';
import { issueOperatorToken, tokenFilePath } from '../http/operator-token.js';
import { counter, startGateway } from '../testing/fixture.js';
import { ensurePki } from '../tls/pki.js';

/**
 * A simulated kit over real MQTT/TLS cooks in accelerated time with the cloud unreachable; the
 * gateway notifies a webhook that verifies the signature, an ntfy-compatible endpoint and an SMTP
 * server (STARTTLS + auth) of the target reached, the timer done and a probe fault. The webhook
 * is down at first: it gets everything once it is back.
 */
t.test('target reached, cook done and a probe fault reach all three receivers, cloud unreachable', async (t) => {
  const secret = 'whsec-0123456789abcdef';
  const webhook = await webhookReceiver(secret);
  await webhook.start();
  await webhook.stop(); // down: the gateway must retry
  const ntfy = await ntfyReceiver();
  await ntfy.start();
  t.teardown(() => ntfy.stop());
  const tlsDir = mkdtempSync(join(tmpdir(), 'sv-smtp-'));
  const { pki } = ensurePki(tlsDir);
  const smtp = await smtpReceiver(
    { key: readFileSync(pki.serverKeyFile), cert: readFileSync(pki.serverCertFile) },
    { user: 'cook', pass: 'p@ss word' },
  );
  await smtp.start();
  t.teardown(() => smtp.stop());

  const logs: string[] = [];
  const logStream = new PassThrough();
  logStream.on('data', (d: Buffer) => logs.push(d.toString()));
  const sim = new ThermalSim({ startC: 50, volumeL: 3, heaterW: 1500, heaterTauS: 60, seed: 3 });
  const gw = await startGateway(
    t,
    {
      'cloud.url': 'http://127.0.0.1:9',
      'cloud.token': 'svg_unreachable-cloud-token-0000',
      'mqtt.publishRatePerDevice': 0,
      'notify.webhookUrl': webhook.url,
      'notify.webhookSecret': secret,
      'notify.ntfyUrl': ntfy.url,
      'notify.smtpUrl': smtp.url,
      'notify.smtpCaFile': pki.caFile,
      'notify.emailTo': ['cook@example.org'],
      'notify.emailFrom': 'gateway@example.org',
    },
    { now: () => sim.nowMs },
    createLogger({ name: 'gateway-test', level: 'debug', pretty: false, destination: logStream }),
  );
  t.teardown(() => webhook.stop());
  const token = issueOperatorToken(tokenFilePath(gw.dataDir));
  const kitSecret = await gw.addKit('kit-n1');
  const kit: MqttClient = await gw.connect({ clientId: 'kit-n1', username: 'kit-n1', password: kitSecret });
  t.teardown(() => kit.end(true));
  kit.on('message', (_topic, payload) => {
    const cmd = Command.parse(JSON.parse(payload.toString()));
    const ack = sim.command({ op: cmd.op, ...(cmd.expect ? { expect: cmd.expect } : {}) });
    kit.publish('sv/kit-n1/ack', JSON.stringify({ v: 1, id: cmd.id, ok: ack.ok, heater: ack.heater }), { qos: 1 });
  });
  await kit.subscribeAsync('sv/kit-n1/cmd', { qos: 1 });
  let heard = 0;
  gw.gateway.ingest.on('live', () => heard++);
  const second = async () => {
    sim.step(1000);
    const want = heard + 1;
    kit.publish('sv/kit-n1/telemetry', JSON.stringify(sim.telemetry()), { qos: 0 });
    while (heard < want) await new Promise((r) => setImmediate(r));
  };
  const api = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`http://127.0.0.1:${gw.httpPort}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };
  const types = () => (gw.db().prepare('SELECT type FROM events').all() as { type: string }[]).map((r) => r.type);

  for (let i = 0; i < 5; i++) await second();
  t.equal((await api('PUT', '/v1/devices/kit-n1/cook', { targetC: 56, durationMin: 2 })).status, 200, 'a 56 °C cook of 2 min starts');
  for (let i = 0; i < 3600 && !types().includes('done'); i++) await second();
  t.ok(types().includes('reached') && types().includes('done'), 'the cook reached its target and its timer ran out');
  sim.injectFault('disconnected');
  for (let i = 0; i < 60 && !types().includes('sensor_fault'); i++) await second();
  t.ok(types().includes('sensor_fault'), 'the probe fault was detected');

  const want = ['reached', 'done', 'sensor_fault'];
  await waitFor('ntfy and e-mail', async () => {
    const n = gw
      .db()
      .prepare("SELECT count(*) AS n FROM notify_deliveries WHERE state = 'sent' AND channel IN ('ntfy', 'email')")
      .get() as {
      n: number;
    };
    return n.n >= 6 ? true : undefined;
  });
  const failedWhileDown = counter(await gw.metrics(), 'notify_failures_total');
  t.ok(failedWhileDown >= 1, `the webhook that is down counts failures (${failedWhileDown})`);
  t.equal(webhook.received.length, 0, 'nothing reached the webhook while it was down');
  await webhook.start();
  await waitFor('the webhook after it is back', async () => (webhook.received.length >= 3 ? true : undefined), 60_000);

  const rows = gw.db().prepare('SELECT id, type FROM notifications ORDER BY ts').all() as { id: string; type: string }[];
  t.same(
    rows.map((r) => r.type),
    want,
    'three notifications were recorded',
  );
  const byType = new Map(rows.map((r) => [r.type, r.id]));

  // Webhook: signed, verified by the receiver, the documented body.
  t.ok(
    webhook.received.every((d) => d.check.ok),
    'every webhook signature verifies',
  );
  t.same(webhook.received.map((d) => d.body.type).sort(), [...want].sort(), 'the webhook got reached, done, sensor_fault');
  const probe = webhook.received.find((d) => d.body.type === 'sensor_fault')?.body;
  t.match(probe, {
    id: byType.get('sensor_fault'),
    severity: 'alarm',
    deviceId: 'kit-n1',
    text: 'The probe is not reading: check its cable.',
  });
  t.ok(typeof probe?.at === 'string' && !Number.isNaN(Date.parse(String(probe?.at))), 'with an ISO time');
  t.same(Object.keys(probe ?? {}), ['id', 'type', 'severity', 'deviceId', 'at', 'text'], 'and exactly the documented fields');

  // ntfy: title, priority and tags from the severity, the id as idempotency key.
  t.same(
    ntfy.received.map((n) => n.id),
    want.map((w) => byType.get(w)),
    'ntfy got the three, keyed by id',
  );
  t.equal(ntfy.received[0]?.title, 'Water is ready: kit-n1');
  t.equal(ntfy.received[0]?.priority, '3');
  t.equal(ntfy.received[2]?.priority, '4', 'a probe fault is priority 4');
  t.match(ntfy.received[2]?.tags, /warning/);
  t.match(ntfy.received[1]?.text, /The cook is done: 2 min at 56\.0 °C/);

  // E-mail: through STARTTLS, authenticated, to the configured recipient.
  t.same(
    smtp.received.map((m) => m.id),
    want.map((w) => byType.get(w)),
    'the SMTP server got the three mails',
  );
  t.ok(
    smtp.received.every((m) => m.secured && m.user === 'cook'),
    'each over STARTTLS and authenticated',
  );
  t.same(smtp.received[0]?.to, ['cook@example.org']);
  t.equal(smtp.received[0]?.from, 'gateway@example.org');
  t.match(smtp.received[2]?.subject, /\[alarm\] Alarm: kit-n1/);

  // Metrics and the local API.
  const metrics = await gw.metrics();
  for (const c of ['webhook', 'ntfy', 'email'])
    t.equal(Number(new RegExp(`^notify_deliveries_total\\{channel="${c}"\\} (\\d+)`, 'm').exec(metrics)?.[1]), 3, `${c}: 3 delivered`);
  const list = await api('GET', '/v1/notifications?limit=4');
  t.equal(list.status, 200);
  const items = list.body.items as { channel: string; state: string; attempts: number; lastError: string | null }[];
  t.equal(items.length, 4, 'a page of the last attempts');
  t.type(list.body.nextCursor, 'string', 'with a cursor');
  const next = await api('GET', `/v1/notifications?limit=4&cursor=${list.body.nextCursor}`);
  t.ok(
    (next.body.items as { id: number }[]).every((i) => i.id < (items[3] as unknown as { id: number }).id),
    'the cursor leads to older attempts',
  );
  const all = await api('GET', '/v1/notifications?limit=100');
  const hooks = (all.body.items as typeof items).filter((i) => i.channel === 'webhook');
  t.ok(
    hooks.every((h) => h.state === 'sent' && h.attempts >= 2 && h.lastError === null),
    'the webhook rows were sent after a failed attempt',
  );
  t.equal((await api('GET', '/v1/notifications?state=lost')).status, 400, 'a bad filter is refused');
  t.match(JSON.stringify((await api('GET', '/v1/notifications?state=lost')).body), /query\.state/, 'naming the field');
  t.equal((await fetch(`http://127.0.0.1:${gw.httpPort}/v1/notifications`)).status, 401, 'the operator token is required');
  const logged = logs.join('');
  t.match(logged, /notification not delivered/, 'the failed attempts were logged');
  for (const hidden of [secret, 'p@ss word', encodeURIComponent('p@ss word')]) t.notOk(logged.includes(hidden), 'no secret in the logs');
});
