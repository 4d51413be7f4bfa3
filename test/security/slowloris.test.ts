import { connect as netConnect, type Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';
import t from 'tap';
import { startGateway } from '../../gateway/testing/fixture.js';
import { closedByServer, delta, honestKit, rawTls, readCounters, sleep } from './support.js';

/**
 * Slowloris: connections that hold a slot without ever becoming a kit. TCP without a TLS
 * handshake, TLS without a CONNECT, and a valid CONNECT (right secret) sent one byte at a time.
 * The gateway must close each of them at mqtt.connectTimeoutMs and count it; while they hold the
 * slots, mqtt.maxConnections refuses more (counted); once they are gone, a kit connects again.
 */
const TIMEOUT_MS = 10_000; // long enough that all 11 are open when the 12th connection comes, even on a loaded machine
const TRICKLE_MS = 500; // one byte of the CONNECT every TRICKLE_MS

t.test('half-open connections are cut at the connect timeout and counted; slots come back', async (t) => {
  const gw = await startGateway(t, {
    'mqtt.connectTimeoutMs': TIMEOUT_MS,
    'mqtt.maxConnections': 12,
    'mqtt.connRatePerAddr': 0,
  });
  const kit = await honestKit(gw, 'kit-honest');
  t.teardown(() => kit.stop());
  const slowSecret = await gw.addKit('kit-slow');
  const before = readCounters(await gw.metrics());

  // 4 TCP connections that never start TLS.
  const firstOpened = Date.now();
  const tcp: Socket[] = await Promise.all(
    Array.from(
      { length: 4 },
      () =>
        new Promise<Socket>((resolve, reject) => {
          const s = netConnect({ port: gw.mqttPort, host: '127.0.0.1' }, () => resolve(s));
          s.once('error', reject);
        }),
    ),
  );
  // 4 TLS connections that never send CONNECT.
  const silent = await Promise.all(Array.from({ length: 4 }, () => rawTls({ port: gw.mqttPort, ca: gw.ca })));
  // 3 TLS connections that send a valid CONNECT (right secret), one byte every TRICKLE_MS.
  const connect = mqttPacket.generate({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clientId: 'kit-slow',
    username: 'kit-slow',
    password: Buffer.from(slowSecret),
    clean: true,
    keepalive: 30,
  });
  t.ok(connect.length * TRICKLE_MS > TIMEOUT_MS * 2, 'the trickled CONNECT would take well over the timeout');
  const trickling = await Promise.all(Array.from({ length: 3 }, () => rawTls({ port: gw.mqttPort, ca: gw.ca })));
  const trickle = trickling.map(async (s) => {
    for (const byte of connect) {
      if (s.destroyed) return;
      s.write(Buffer.from([byte]));
      await sleep(TRICKLE_MS);
    }
  });
  const endings = [...tcp, ...silent, ...trickling].map((s) => closedByServer(s, TIMEOUT_MS + 30_000));

  // 1 honest + 11 slow = mqtt.maxConnections: a new connection is refused now (counted).
  const full = await gw.connect({ clientId: 'kit-slow', username: 'kit-slow', password: slowSecret }).then(
    (c) => {
      c.end(true);
      return 'connected';
    },
    () => 'refused',
  );
  const heldFor = Date.now() - firstOpened;
  // If the machine was so slow that the first slot timed out before the 12th came, say so plainly.
  t.ok(heldFor < TIMEOUT_MS, `all 11 slots were still held when the 12th came (${heldFor} ms after the first)`);
  // What the gateway counted and what the honest kit saw so far: printed if the check fails.
  const diagnostic = {
    counters: delta(before, readCounters(await gw.metrics())),
    kit: { closes: kit.closes, closedAt: kit.closedAt, errors: kit.errors, acked: kit.acked },
  };
  t.equal(full, 'refused', 'with every slot held, a new connection is refused', diagnostic);

  const ends = await Promise.all(endings);
  await Promise.all(trickle);
  t.same(
    ends.filter((e) => e !== 'server-closed'),
    [],
    'the gateway closed all 11 half-open connections itself',
  );
  await sleep(100);
  const moved = delta(before, readCounters(await gw.metrics()));
  t.equal(moved['conn_refused{tls_handshake}'], 4, 'TCP without a TLS handshake: counted as tls_handshake');
  t.equal(moved['protocol_error{connect_timeout}'], 4 + 3, 'TLS without a complete CONNECT in time: counted as connect_timeout');
  t.equal(moved['conn_refused{max_connections}'], 1, 'the connection over the cap: counted as max_connections');
  t.equal(moved.auth_ok ?? 0, 0, 'the trickled CONNECT never authenticated');
  t.equal(moved.auth_failed ?? 0, 0);

  const again = await gw.connect({ clientId: 'kit-slow', username: 'kit-slow', password: slowSecret });
  t.ok(again.connected, 'the slots came back: a kit connects');
  again.end(true);
  const result = await kit.stop();
  t.equal(result.closes, 0, 'the honest kit kept its connection throughout');
  t.same(result.errors, []);
  t.same(kit.rows(gw), { n: result.acked, uniq: result.acked, maxSeq: result.acked - 1 }, 'its telemetry is stored once per PUBACK');
  kit.client.end(true);
});
