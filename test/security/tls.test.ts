import { mkdtempSync, readFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import t from 'tap';
import { selfSigned } from '../../cloud/testing/self-signed.js';
import { connectKit, startGateway } from '../../gateway/testing/fixture.js';
import { ensurePki, issueDeviceCert } from '../../gateway/tls/pki.js';
import { closedByServer, delta, rawTls, readCounters, sleep } from './support.js';

/** TLS policy of the MQTT listener: TLS only by default, 1.2+, device CA for client certificates, kits pin the server CA. */

const outcome = (p: Promise<{ end(force?: boolean): unknown }>) =>
  p.then(
    (c) => {
      c.end(true);
      return 'connected';
    },
    (e: Error) => `refused: ${e.message}`,
  );

t.test('no plain MQTT by default; plain MQTT on the TLS port is refused and counted', async (t) => {
  const gw = await startGateway(t);
  t.equal(gw.gateway.broker.plainPort, undefined, 'no plain-TCP listener is opened by default');
  const before = readCounters(await gw.metrics());
  const plain = await outcome(
    new Promise((resolve, reject) => {
      const c = mqtt.connect(`mqtt://127.0.0.1:${gw.mqttPort}`, { clientId: 'kit-plain', reconnectPeriod: 0, connectTimeout: 5000 });
      c.once('connect', () => resolve(c));
      c.once('error', (e) => {
        c.end(true);
        reject(e);
      });
      c.once('close', () => reject(new Error('closed before CONNACK')));
    }),
  );
  t.match(plain, /^refused/, `an mqtt:// client is refused (${plain})`);
  // The same CONNECT as raw bytes: the server answers no CONNACK, and closes.
  const raw = netConnect({ port: gw.mqttPort, host: '127.0.0.1' });
  let answered = Buffer.alloc(0);
  raw.on('data', (d: Buffer) => {
    answered = Buffer.concat([answered, d]);
  });
  raw.write(
    mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'kit-plain', clean: true, keepalive: 30 }),
  );
  t.equal(await closedByServer(raw, 30_000), 'server-closed', 'a raw plain CONNECT is cut off');
  t.not(answered[0], 0x20, 'and never gets a CONNACK');
  await sleep(50);
  t.equal(delta(before, readCounters(await gw.metrics()))['conn_refused{tls_handshake}'], 2, 'both counted as failed TLS handshakes');
});

t.test('an explicitly enabled plain listener binds to loopback only', async (t) => {
  const gw = await startGateway(t, { 'mqtt.plainPort': 0 });
  const port = gw.gateway.broker.plainPort as number;
  t.type(port, 'number', 'enabled on request');
  const reach = (host: string) =>
    new Promise<string>((resolve) => {
      const s = netConnect({ port, host });
      s.once('connect', () => {
        s.destroy();
        resolve('open');
      });
      s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
  t.equal(await reach('127.0.0.1'), 'open', 'reachable on 127.0.0.1');
  t.equal(await reach('127.0.0.2'), 'ECONNREFUSED', 'not on another address (mqtt.plainHost defaults to 127.0.0.1)');
});

t.test('TLS 1.0 and 1.1 are refused and counted; 1.2 and 1.3 are accepted', async (t) => {
  const gw = await startGateway(t);
  const before = readCounters(await gw.metrics());
  for (const v of ['TLSv1', 'TLSv1.1'] as const) {
    const r = await rawTls({ port: gw.mqttPort, ca: gw.ca, minVersion: v, maxVersion: v, ciphers: 'DEFAULT@SECLEVEL=0' }).then(
      (s) => {
        s.destroy();
        return 'connected';
      },
      (e: NodeJS.ErrnoException) => e.code ?? e.message,
    );
    t.not(r, 'connected', `${v} refused (${r})`);
  }
  await sleep(50);
  t.equal(
    delta(before, readCounters(await gw.metrics()))['conn_refused{tls_handshake}'],
    2,
    'the gateway saw both attempts and refused them (not just our client giving up)',
  );
  for (const v of ['TLSv1.2', 'TLSv1.3'] as const) {
    const s = await rawTls({ port: gw.mqttPort, ca: gw.ca, minVersion: v, maxVersion: v });
    t.equal(s.getProtocol(), v, `${v} accepted`);
    s.destroy();
  }
});

t.test('client certificates: only the device CA, for the right id; kits verify the gateway', async (t) => {
  const gw = await startGateway(t, { 'auth.maxFailures': 1000, 'auth.failureDelayMs': 0 });
  const mine = gw.addCertKit('kit-cert');
  t.equal(await outcome(gw.connect({ clientId: 'kit-cert', cert: mine.cert, key: mine.key })), 'connected', 'its own certificate connects');

  const before = readCounters(await gw.metrics());
  // Another gateway's device CA, same subject names: the signature is what fails.
  const other = ensurePki(mkdtempSync(join(tmpdir(), 'sv-other-ca-'))).pki;
  const foreign = issueDeviceCert(other, 'kit-cert');
  const r1 = await outcome(gw.connect({ clientId: 'kit-cert', cert: Buffer.from(foreign.certPem), key: Buffer.from(foreign.keyPem) }));
  t.match(r1, /^refused/, `a certificate from another CA is refused (${r1})`);
  // The gateway's own *server* certificate presented as a client certificate.
  const r2 = await outcome(
    gw.connect({
      clientId: 'kit-cert',
      cert: readFileSync(gw.gateway.pki.serverCertFile),
      key: readFileSync(gw.gateway.pki.serverKeyFile),
    }),
  );
  t.match(r2, /^refused/, `the server certificate is not a device certificate (${r2})`);
  // A self-signed certificate.
  const self = selfSigned();
  const r3 = await outcome(gw.connect({ clientId: 'kit-cert', cert: Buffer.from(self.cert), key: Buffer.from(self.key) }));
  t.match(r3, /^refused/, `a self-signed certificate is refused (${r3})`);
  // A genuine device certificate, but for another device id.
  const r4 = await outcome(gw.connect({ clientId: 'kit-other', cert: mine.cert, key: mine.key }));
  t.match(r4, /^refused/, `a device certificate for another id is refused (${r4})`);
  await sleep(50);
  const moved = delta(before, readCounters(await gw.metrics()));
  t.equal(moved['auth_failed{bad_cert}'], 3, 'the three foreign certificates are counted as bad_cert');
  t.equal(moved['auth_failed{client_id_mismatch}'], 1, 'the borrowed one as client_id_mismatch');
  t.equal(moved.auth_ok ?? 0, 0);

  // The kit side: pinning the gateway CA connects; pinning another CA, or the wrong host name, refuses the gateway.
  const secret = await gw.addKit('kit-pin');
  const creds = { clientId: 'kit-pin', username: 'kit-pin', password: secret };
  t.equal(await outcome(connectKit(gw.mqttPort, gw.ca, creds)), 'connected', 'a kit that pins the gateway CA connects');
  const impostor = await outcome(connectKit(gw.mqttPort, readFileSync(other.caFile), creds));
  t.match(
    impostor,
    /refused: .*(self[- ]signed|unable to verify|certificate)/i,
    `a kit pinning another CA refuses this gateway (${impostor})`,
  );
  const wrongName = await outcome(connectKit(gw.mqttPort, gw.ca, { ...creds, servername: 'evil.example' }));
  t.match(wrongName, /refused: .*(altname|does not match|Hostname)/i, `a kit checks the host name (${wrongName})`);
});
