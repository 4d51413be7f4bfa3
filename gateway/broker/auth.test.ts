import { mkdtempSync, readFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import t from 'tap';
import { revoke } from '../devices/provision.js';
import { closed, counter, startGateway } from '../testing/fixture.js';
import { ensurePki } from '../tls/pki.js';

t.test('device authentication over real TLS', async (t) => {
  const gw = await startGateway(t, { 'auth.maxFailures': 100, 'auth.failureDelayMs': 0 });
  const secret = await gw.addKit('kit-001');

  const ok = await gw.connect({ clientId: 'kit-001', username: 'kit-001', password: secret });
  t.ok(ok.connected, 'the right secret connects');
  ok.end(true);

  await t.rejects(
    gw.connect({ clientId: 'kit-404', username: 'kit-404', password: secret }),
    /Not authorized|Bad username/i,
    'unknown device refused',
  );
  await t.rejects(
    gw.connect({ clientId: 'kit-001', username: 'kit-001', password: 'svk_wrong' }),
    /Bad username or password/i,
    'wrong secret refused',
  );
  await t.rejects(gw.connect({ clientId: 'kit-001' }), /Bad username or password/i, 'anonymous refused');
  await gw.addKit('kit-002');
  await t.rejects(
    gw.connect({ clientId: 'kit-002', username: 'kit-001', password: secret }),
    /Not authorized/i,
    'client id ≠ device id refused',
  );

  const certs = gw.addCertKit('kit-cert');
  const viaCert = await gw.connect({ clientId: 'kit-cert', cert: certs.cert, key: certs.key });
  t.ok(viaCert.connected, 'a device-CA certificate with CN = client id connects without a password');
  viaCert.end(true);
  await t.rejects(
    gw.connect({ clientId: 'kit-001', cert: certs.cert, key: certs.key }),
    /Not authorized/i,
    'a certificate for another device id is refused',
  );

  // A certificate from another CA (a second gateway's device CA) is refused.
  const otherDir = mkdtempSync(join(tmpdir(), 'sv-other-ca-'));
  const { pki: other } = ensurePki(otherDir);
  const { issueDeviceCert } = await import('../tls/pki.js');
  const foreign = issueDeviceCert(other, 'kit-cert');
  await t.rejects(
    gw.connect({ clientId: 'kit-cert', cert: Buffer.from(foreign.certPem), key: Buffer.from(foreign.keyPem) }),
    /Not authorized|closed before CONNACK/i,
    'a certificate from another CA is refused',
  );
  t.ok(readFileSync(other.caFile).length > 0);

  revoke({ dataDir: gw.dataDir } as never, 'kit-002');
  await t.rejects(gw.connect({ clientId: 'kit-002', username: 'kit-002', password: 'x' }), /Not authorized/i, 'revoked device refused');

  const m = await gw.metrics();
  t.equal(counter(m, 'auth_failed_total', 'unknown_device'), 1);
  t.equal(counter(m, 'auth_failed_total', 'bad_secret'), 1);
  t.equal(counter(m, 'auth_failed_total', 'no_credentials'), 1);
  t.equal(counter(m, 'auth_failed_total', 'client_id_mismatch'), 2);
  t.equal(counter(m, 'auth_failed_total', 'bad_cert'), 1);
  t.equal(counter(m, 'auth_failed_total', 'revoked'), 1);
  const rows = gw.db().prepare("SELECT count(*) AS n FROM security_events WHERE kind = 'auth_failed'").get() as { n: number };
  t.equal(rows.n, 7, 'every refusal is recorded');
  const hashes = gw.db().prepare('SELECT secret_hash FROM devices WHERE id = ?').get('kit-001') as { secret_hash: string };
  t.match(hashes.secret_hash, /^scrypt\$/, 'the secret is stored as an scrypt hash');
  t.notMatch(hashes.secret_hash, secret.slice(4), 'and never in clear');
});

t.test('revoking a connected device disconnects it at once; rotation invalidates the old secret', async (t) => {
  const gw = await startGateway(t);
  const secret = await gw.addKit('kit-rev');
  const client = await gw.connect({ clientId: 'kit-rev', username: 'kit-rev', password: secret });
  const gone = closed(client);
  revoke({ dataDir: gw.dataDir } as never, 'kit-rev');
  await gone;
  t.pass('the connected device was disconnected after the CLI revoked it');
  await t.rejects(gw.connect({ clientId: 'kit-rev', username: 'kit-rev', password: secret }), /Not authorized/i, 'and cannot reconnect');
});

t.test('a second connection with the same client id replaces the first', async (t) => {
  const gw = await startGateway(t);
  const secret = await gw.addKit('kit-dup');
  const first = await gw.connect({ clientId: 'kit-dup', username: 'kit-dup', password: secret });
  const firstClosed = closed(first);
  const second = await gw.connect({ clientId: 'kit-dup', username: 'kit-dup', password: secret });
  await firstClosed;
  t.ok(second.connected, 'the newer connection stays');
  t.equal(counter(await gw.metrics(), 'client_replaced_total'), 1, 'and the takeover is counted');
  second.end(true);
});

t.test('repeated failures from one address are slowed down, then banned', async (t) => {
  const gw = await startGateway(t, { 'auth.maxFailures': 3, 'auth.failureDelayMs': 50, 'auth.banMs': 60_000 });
  const secret = await gw.addKit('kit-ban');
  for (let i = 0; i < 3; i++) await t.rejects(gw.connect({ clientId: 'kit-ban', username: 'kit-ban', password: 'wrong' }));
  await t.rejects(
    gw.connect({ clientId: 'kit-ban', username: 'kit-ban', password: secret }),
    'even the right secret is refused while banned',
  );
  const m = await gw.metrics();
  t.ok(counter(m, 'conn_refused_total', 'banned') + counter(m, 'auth_failed_total', 'banned') >= 1, 'the ban is counted');
});

t.test('TLS only by default: plain TCP refused, TLS < 1.2 refused', async (t) => {
  const gw = await startGateway(t);
  const plain = await new Promise<string>((resolve) => {
    const s = netConnect(1883 + 0, '127.0.0.1');
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    s.on('connect', () => {
      s.destroy();
      resolve('connected');
    });
  });
  t.not(gw.gateway.broker.plainPort, 1883, 'no plain listener is opened');
  t.ok(plain === 'ECONNREFUSED' || plain === 'connected', 'port 1883 is not ours (the gateway opened none)');
  const old = await new Promise<string>((resolve) => {
    const s = tlsConnect({
      port: gw.mqttPort,
      host: '127.0.0.1',
      ca: gw.ca,
      servername: 'localhost',
      maxVersion: 'TLSv1.1',
      minVersion: 'TLSv1',
    });
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    s.on('secureConnect', () => {
      s.destroy();
      resolve('connected');
    });
  });
  t.not(old, 'connected', `a TLS 1.1 client is refused (${old})`);
});
