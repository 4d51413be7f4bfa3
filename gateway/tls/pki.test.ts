import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkServerIdentity, connect, createServer, type PeerCertificate } from 'node:tls';
import t from 'tap';
import { loadConfig } from '../../shared/config/load.js';
import { gatewayConfig } from '../config.js';
import { mqttUrl } from '../devices/provision.js';
import { configProblems } from '../testing/config-problems.js';
import { ensurePki, type Pki } from './pki.js';

/**
 * The server certificate names the host kits use (`mqtt.publicHost`) the way a TLS client checks
 * it: an IP address as an IP address, and a public host changed after the first run gets a new
 * certificate from the same CA. Checked with Node's own client-side identity check on the
 * certificate a real TLS server presents.
 */
const root = mkdtempSync(join(tmpdir(), 'sv-pki-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));

/** The certificate the gateway's server files present over a real TLS connection, as a client sees it. */
async function presented(pki: Pki): Promise<PeerCertificate> {
  const server = createServer({ key: readFileSync(pki.serverKeyFile), cert: readFileSync(pki.serverCertFile) }, (s) => s.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    return await new Promise<PeerCertificate>((resolve, reject) => {
      const c = connect({ port, host: '127.0.0.1', ca: readFileSync(pki.caFile) }, () => {
        resolve(c.getPeerCertificate());
        c.end();
      });
      c.on('error', reject);
    });
  } finally {
    server.close();
  }
}

t.test('an IP address as the public host: a client connecting to that IP accepts the certificate', async (t) => {
  const { pki } = ensurePki(join(root, 'ip'), ['192.0.2.10']);
  const cert = await presented(pki);
  t.equal(checkServerIdentity('192.0.2.10', cert), undefined, 'the IP is an IP address in the certificate');
  t.equal(checkServerIdentity('127.0.0.1', cert), undefined, 'loopback too');
  t.type(checkServerIdentity('192.0.2.11', cert), Error, 'another IP is refused (the check can fail)');
});

t.test('a public host added after the first run: a new server certificate from the same CA', async (t) => {
  const dir = join(root, 'changed');
  const first = ensurePki(dir);
  t.equal(first.created, true);
  const ca = readFileSync(first.pki.caFile);
  t.type(checkServerIdentity('kitchen-pi.example', await presented(first.pki)), Error, 'the first certificate does not name it');

  const second = ensurePki(dir, ['kitchen-pi.example']);
  t.same(second.reissued, ['kitchen-pi.example']);
  t.equal(second.created, false);
  t.same(readFileSync(second.pki.caFile), ca, 'the CA is the same file: kits keep trusting it');
  const cert = await presented(second.pki);
  t.equal(checkServerIdentity('kitchen-pi.example', cert), undefined, 'the new certificate names it');
  t.ok(new X509Certificate(readFileSync(second.pki.serverCertFile)).verify(new X509Certificate(ca).publicKey), 'signed by that CA');

  t.same(ensurePki(dir, ['kitchen-pi.example']).reissued, [], 'once named, not issued again');
});

const problems = (flags: Record<string, string>) => configProblems({ 'data-dir': join(root, 'data'), ...flags });

t.test('the URL kits are given brackets an IPv6 public host', async (t) => {
  const url = (host: string) => mqttUrl(loadConfig(gatewayConfig, { flags: { 'mqtt-public-host': host } }), 8883);
  t.equal(url('fd00::2'), 'mqtts://[fd00::2]:8883');
  t.equal(new URL(url('fd00::2')).hostname, '[fd00::2]', 'a URL parser reads the address back');
  t.equal(url('192.0.2.10'), 'mqtts://192.0.2.10:8883');
  t.equal(url('kitchen-pi.local'), 'mqtts://kitchen-pi.local:8883');
});

t.test('a public host that no certificate can name, and an own certificate that does not name it', async (t) => {
  t.match(problems({ 'mqtt-public-host': 'bad host!' }), [/^mqtt\.publicHost: must be a host name .* or an IP address/]);
  t.same(problems({ 'mqtt-public-host': 'kitchen-pi.local' }), []);
  t.same(problems({ 'mqtt-public-host': 'fd00::2' }), []);
  const { pki } = ensurePki(join(root, 'own'), ['gw.example']);
  const own = { 'mqtt-tls-cert': pki.serverCertFile, 'mqtt-tls-key': pki.serverKeyFile };
  t.same(problems({ ...own, 'mqtt-public-host': 'gw.example' }), []);
  t.same(problems({ ...own, 'mqtt-public-host': 'other.example' }), [
    `mqtt.tlsCert: ${pki.serverCertFile}: does not name mqtt.publicHost other.example: kits that connect to other.example will refuse it`,
  ]);
});
