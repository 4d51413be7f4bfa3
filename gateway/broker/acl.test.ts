import { connect as tlsConnect } from 'node:tls';
import t from 'tap';
import { closed, counter, startGateway, telemetry } from '../testing/fixture.js';

t.test('ACL: a device is confined to its own topics; refusals are counted and recorded', async (t) => {
  const gw = await startGateway(t);
  const s1 = await gw.addKit('kit-a1');
  await gw.addKit('kit-b1');
  const connectA = () => gw.connect({ clientId: 'kit-a1', username: 'kit-a1', password: s1 });

  let c = await connectA();
  let gone = closed(c);
  c.publish('sv/kit-b1/telemetry', telemetry(), { qos: 1 });
  await gone;
  t.pass("publishing to another device's topic closes the connection (MQTT 3.1.1)");

  c = await connectA();
  gone = closed(c);
  c.publish('sv/kit-a1/cmd', '{}', { qos: 1 });
  await gone;
  t.pass('a device may not publish commands, not even to itself');

  for (const filter of ['#', 'sv/+/cmd', 'sv/kit-b1/cmd', 'sv/kit-a1/telemetry']) {
    c = await connectA();
    gone = closed(c);
    c.subscribe(filter, { qos: 1 }, () => {});
    await gone;
    t.pass(`subscribing to ${filter} closes the connection`);
  }

  c = await connectA();
  const granted = await c.subscribeAsync('sv/kit-a1/cmd', { qos: 1 });
  t.same(
    granted.map((g) => g.qos),
    [1],
    'its own cmd topic is granted',
  );
  c.end(true);

  const m = await gw.metrics();
  t.equal(counter(m, 'acl_denied_total', 'publish'), 2);
  t.equal(counter(m, 'acl_denied_total', 'subscribe'), 4);
  const rows = gw.db().prepare("SELECT detail FROM security_events WHERE kind = 'acl_denied' ORDER BY id").all() as { detail: string }[];
  t.same(
    rows.map((r) => r.detail),
    [
      'publish sv/kit-b1/telemetry',
      'publish sv/kit-a1/cmd',
      'subscribe #',
      'subscribe sv/+/cmd',
      'subscribe sv/kit-b1/cmd',
      'subscribe sv/kit-a1/telemetry',
    ],
    'each refusal is recorded with what was attempted',
  );
  t.equal(
    (gw.db().prepare('SELECT count(*) AS n FROM telemetry').get() as { n: number }).n,
    0,
    'nothing was stored for the refused publish',
  );
});

t.test('security events on disk are rate-limited; all refusals are counted', async (t) => {
  const gw = await startGateway(t, { 'store.securityEventsPerMin': 3, 'auth.maxFailures': 1000, 'auth.failureDelayMs': 0 });
  for (let i = 0; i < 6; i++) await t.rejects(gw.connect({ clientId: 'kit-zz1', username: 'kit-zz1', password: 'nope' }));
  const m = await gw.metrics();
  t.equal(counter(m, 'auth_failed_total'), 6, 'all six counted');
  await new Promise((r) => setTimeout(r, 100));
  t.equal((gw.db().prepare('SELECT count(*) AS n FROM security_events').get() as { n: number }).n, 3, 'only three written');
  t.equal(counter(m, 'security_log_dropped_total'), 3);
});

t.test('an oversized MQTT packet closes the connection and is counted', async (t) => {
  const gw = await startGateway(t, { 'mqtt.maxPacketBytes': 1024 });
  const secret = await gw.addKit('kit-big');
  const c = await gw.connect({ clientId: 'kit-big', username: 'kit-big', password: secret });
  const gone = closed(c);
  c.publish('sv/kit-big/telemetry', 'x'.repeat(5000), { qos: 1 });
  await gone;
  t.equal(counter(await gw.metrics(), 'packet_too_large_total'), 1);
  t.equal((gw.db().prepare('SELECT count(*) AS n FROM dead_letters').get() as { n: number }).n, 0, 'the body was never parsed');
});

t.test('the connection cap and per-address connection rate refuse before TLS', async (t) => {
  const gw = await startGateway(t, { 'mqtt.connRatePerAddr': 1, 'mqtt.connBurstPerAddr': 2 });
  const results: string[] = [];
  for (let i = 0; i < 4; i++) {
    results.push(
      await new Promise<string>((resolve) => {
        const s = tlsConnect({ port: gw.mqttPort, host: '127.0.0.1', ca: gw.ca, servername: 'localhost' });
        s.on('secureConnect', () => {
          s.destroy();
          resolve('tls');
        });
        s.on('error', () => resolve('refused'));
      }),
    );
  }
  t.same(results.slice(0, 2), ['tls', 'tls'], 'the burst is admitted');
  t.ok(results.slice(2).includes('refused'), 'then new connections are refused');
  t.ok(counter(await gw.metrics(), 'conn_refused_total', 'conn_rate') >= 1, 'and counted');
});
