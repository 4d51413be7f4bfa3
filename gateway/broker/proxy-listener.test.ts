import { mkdtempSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import * as pp from 'proxy-protocol-js';
import t from 'tap';
import { startTlsTerminator } from '../../loadtest/targets/haproxy.js';
import { freePort } from '../../shared/net/free-port.js';
import { BINARIES, findBinary } from '../../test/harness/packages.js';
import { connectKit, counter, type GatewayFixture, startGateway, telemetry } from '../testing/fixture.js';

/** A PROXY v2 header as a terminator writes it, claiming `source` for the connection. */
const header = (source: [number, number, number, number]) =>
  Buffer.from(
    new pp.V2ProxyProtocol(
      pp.Command.PROXY,
      pp.TransportProtocol.STREAM,
      new pp.IPv4ProxyAddress(pp.IPv4Address.createFrom(source), 40000, pp.IPv4Address.createFrom([192, 0, 2, 1]), 8883),
    ).build(),
  );

/** An MQTT 3.1.1 kit on the proxied port, its stream opened by `first` (a header, or nothing). */
function rawKit(port: number, first: Buffer | null, opts: mqtt.IClientOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = new mqtt.MqttClient(
      () => {
        const s: Socket = netConnect(port, '127.0.0.1');
        if (first) s.write(first);
        return s;
      },
      { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, ...opts },
    );
    client.once('connect', () => resolve(client));
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
    client.once('close', () => reject(new Error('closed before CONNACK')));
  });
}

const gatewayBehindProxy = (t: { teardown(fn: () => Promise<void> | void): void }) =>
  startGateway(t, {
    'mqtt.proxyPort': 0,
    'auth.maxFailures': 2,
    'auth.failureDelayMs': 0,
    'mqtt.connectTimeoutMs': 1000,
  });

t.test('kits reach the gateway through HAProxy terminating TLS; PUBACK after the commit, exactly once', async (t) => {
  const gw: GatewayFixture = await gatewayBehindProxy(t);
  t.ok(gw.proxyPort, 'the terminator listener is on');
  const dir = mkdtempSync(join(tmpdir(), 'sv-terminator-'));
  const port = await freePort();
  const terminator = await startTlsTerminator({
    bin: findBinary(BINARIES.haproxy),
    dir,
    port,
    backendPort: gw.proxyPort as number,
    certFile: gw.gateway.pki.serverCertFile,
    keyFile: gw.gateway.pki.serverKeyFile,
    kits: 10,
  });
  t.teardown(() => terminator.stop());

  const secret = await gw.addKit('kit-ha');
  const kit = await connectKit(port, gw.ca, { clientId: 'kit-ha', username: 'kit-ha', password: secret });
  t.teardown(() => kit.end(true));
  for (const seq of [0, 1, 1]) await kit.publishAsync('sv/kit-ha/telemetry', telemetry({ boot: 7, seq }), { qos: 1 });
  const rows = gw.db().prepare('SELECT seq, count(*) AS n FROM telemetry WHERE device_id = ? AND boot = 7 GROUP BY seq').all('kit-ha');
  t.same(
    rows,
    [
      { seq: 0, n: 1 },
      { seq: 1, n: 1 },
    ],
    'both readings stored once, the repeat acknowledged and not stored again',
  );

  await t.rejects(
    connectKit(port, gw.ca, { clientId: 'kit-ha', username: 'kit-ha', password: 'svk_wrong' }),
    /Bad username or password/,
    'a wrong secret through the terminator is refused as it is without one',
  );
  const m = await gw.metrics();
  t.equal(counter(m, 'auth_failed_total', 'bad_secret'), 1);
  t.equal(counter(m, 'conn_refused_total', 'proxy_header'), 0, 'HAProxy sent a valid header on every connection');
});

t.test("the header's address is the kit's: limits, bans and the security log use it", async (t) => {
  const gw = await gatewayBehindProxy(t);
  const port = gw.proxyPort as number;
  const secret = await gw.addKit('kit-a');
  const wrong = { clientId: 'kit-a', username: 'kit-a', password: 'svk_wrong' };
  for (let i = 0; i < 2; i++) await t.rejects(rawKit(port, header([203, 0, 113, 7]), wrong), /Bad username or password/);
  // The security log is rate-limited on disk (one row per address and kind for a while); the count is exact.
  const remotes = gw.db().prepare("SELECT DISTINCT remote FROM security_events WHERE kind = 'auth_failed'").all();
  t.same(remotes, [{ remote: '203.0.113.7' }], 'the refusals name the address the terminator saw, not the terminator');
  t.equal(counter(await gw.metrics(), 'auth_failed_total', 'bad_secret'), 2);

  const good = { clientId: 'kit-a', username: 'kit-a', password: secret };
  await t.rejects(rawKit(port, header([203, 0, 113, 7]), good), /closed before CONNACK|ECONNRESET|EPIPE/, 'that address is banned now');
  const other = await rawKit(port, header([203, 0, 113, 8]), good);
  t.ok(other.connected, 'another address behind the same terminator is not');
  other.end(true);
  const m = await gw.metrics();
  t.equal(counter(m, 'conn_refused_total', 'banned'), 1);
});

t.test('a connection without a valid header is refused and counted; so is one that sends nothing', async (t) => {
  const gw = await gatewayBehindProxy(t);
  const port = gw.proxyPort as number;
  const secret = await gw.addKit('kit-b');
  const good = { clientId: 'kit-b', username: 'kit-b', password: secret };
  await t.rejects(rawKit(port, null, good), /closed before CONNACK|ECONNRESET|EPIPE/, 'MQTT straight to the port: no header');
  const v1 = Buffer.from('PROXY TCP4 203.0.113.9 192.0.2.1 40000 8883\r\n');
  await t.rejects(rawKit(port, v1, good), /closed before CONNACK|ECONNRESET|EPIPE/, 'version 1 (text)');

  const silent = netConnect(port, '127.0.0.1');
  silent.on('error', () => {});
  await new Promise<void>((resolve) => silent.once('close', () => resolve()));
  t.pass('a connection that sends nothing is closed after mqtt.connectTimeoutMs');

  const m = await gw.metrics();
  t.equal(counter(m, 'conn_refused_total', 'proxy_header'), 3);
  t.equal(counter(m, 'auth_failed_total'), 0, 'none of them reached authentication');
});

t.test('a header split over several packets, and the CONNECT in the same packet as its end', async (t) => {
  const gw = await gatewayBehindProxy(t);
  const secret = await gw.addKit('kit-c');
  const connect = mqttPacket.generate({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clean: true,
    keepalive: 30,
    clientId: 'kit-c',
    username: 'kit-c',
    password: Buffer.from(secret),
  });
  const h = header([198, 51, 100, 4]);
  const s = netConnect(gw.proxyPort as number, '127.0.0.1');
  t.teardown(() => s.destroy());
  const reply = new Promise<Buffer>((resolve) => s.once('data', resolve));
  await new Promise<void>((resolve) => s.once('connect', () => resolve()));
  s.write(h.subarray(0, 5));
  await new Promise((r) => setTimeout(r, 100));
  s.write(h.subarray(5, 20));
  await new Promise((r) => setTimeout(r, 100));
  s.write(Buffer.concat([h.subarray(20), connect]));
  t.same([...(await reply).subarray(0, 4)], [0x20, 0x02, 0x00, 0x00], 'CONNACK, accepted');
});

t.test('connections still waiting for their header count against mqtt.maxConnections', async (t) => {
  const gw = await startGateway(t, { 'mqtt.proxyPort': 0, 'mqtt.maxConnections': 2, 'mqtt.connectTimeoutMs': 5000 });
  const open = (): Promise<Socket> =>
    new Promise((resolve) => {
      const s = netConnect(gw.proxyPort as number, '127.0.0.1', () => resolve(s));
      s.on('error', () => {});
      t.teardown(() => s.destroy());
    });
  await open();
  await open();
  const third = await open();
  await new Promise<void>((resolve) => third.once('close', () => resolve()));
  t.pass('the third silent connection is closed at once, not after the header deadline');
  t.equal(counter(await gw.metrics(), 'conn_refused_total', 'max_connections'), 1);
});
