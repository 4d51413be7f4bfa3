import { createPrivateKey } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { configProblems } from './testing/config-problems.js';
import { ensurePki } from './tls/pki.js';

/**
 * The gateway config's rules across keys, checked before anything starts, each problem one
 * `key: reason` line: the PEM files it names (real certificates and keys made the way the gateway
 * makes its own) and its listeners' ports.
 */
const root = mkdtempSync(join(tmpdir(), 'sv-config-files-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));
const { pki: a } = ensurePki(join(root, 'a'));
const { pki: b } = ensurePki(join(root, 'b'));
const junk = join(root, 'junk.pem');
writeFileSync(junk, 'not a pem file\n');
const encrypted = join(root, 'encrypted.key');
writeFileSync(
  encrypted,
  createPrivateKey(readFileSync(a.serverKeyFile)).export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'x' }),
);
const aDir = join(root, 'a-dir');
mkdirSync(aDir);

const problems = (flags: Record<string, string>) => configProblems({ 'data-dir': join(root, 'data'), ...flags });

t.test('a real certificate with its key, and a real CA: no problem', async (t) => {
  t.same(
    problems({
      'mqtt-tls-cert': a.serverCertFile,
      'mqtt-tls-key': a.serverKeyFile,
      'relay-tls-ca-file': b.caFile,
      'relay-tls-cert-file': b.serverCertFile,
      'relay-tls-key-file': b.serverKeyFile,
      'notify-smtp-ca-file': a.caFile,
    }),
    [],
  );
});

t.test('one of a pair without the other', async (t) => {
  t.same(problems({ 'mqtt-tls-cert': a.serverCertFile }), ['mqtt.tlsKey: required when mqtt.tlsCert is set']);
  t.same(problems({ 'relay-tls-key-file': a.serverKeyFile }), ['relay.tlsCertFile: required when relay.tlsKeyFile is set']);
});

t.test('the key of another certificate', async (t) => {
  t.same(problems({ 'mqtt-tls-cert': a.serverCertFile, 'mqtt-tls-key': b.serverKeyFile }), [
    `mqtt.tlsKey: ${b.serverKeyFile}: is not the private key of the certificate in mqtt.tlsCert`,
  ]);
});

t.test('files that are missing, a directory, junk, swapped or encrypted: each named with its key and path', async (t) => {
  t.same(problems({ 'mqtt-tls-cert': join(root, 'nope.crt'), 'mqtt-tls-key': aDir }), [
    `mqtt.tlsCert: ${join(root, 'nope.crt')}: no such file (ENOENT)`,
    `mqtt.tlsKey: ${aDir}: is a directory, not a file (EISDIR)`,
  ]);
  t.same(problems({ 'mqtt-tls-cert': a.serverKeyFile, 'mqtt-tls-key': a.serverCertFile }), [
    `mqtt.tlsCert: ${a.serverKeyFile}: holds a private key, not a certificate`,
    `mqtt.tlsKey: ${a.serverCertFile}: holds a certificate, not a private key`,
  ]);
  t.same(problems({ 'mqtt-tls-cert': a.serverCertFile, 'mqtt-tls-key': encrypted }), [
    `mqtt.tlsKey: ${encrypted}: the private key is encrypted; give it unencrypted (there is no passphrase setting), readable only by this user`,
  ]);
  t.same(problems({ 'relay-tls-ca-file': junk, 'notify-smtp-ca-file': junk }), [
    `relay.tlsCaFile: ${junk}: holds no PEM certificate (no -----BEGIN CERTIFICATE----- block)`,
    `notify.smtpCaFile: ${junk}: holds no PEM certificate (no -----BEGIN CERTIFICATE----- block)`,
  ]);
});

t.test('a CA bundle with a damaged second certificate', async (t) => {
  const bundle = join(root, 'bundle.pem');
  const lines = readFileSync(b.caFile, 'utf8').trim().split(/\r?\n/);
  const second = `${[...lines.slice(0, 4), lines[lines.length - 1]].join('\n')}\n`; // cut short: the DER ends early
  writeFileSync(bundle, `${readFileSync(a.caFile, 'utf8')}${second}`);
  t.same(problems({ 'relay-tls-ca-file': bundle }), [`relay.tlsCaFile: ${bundle}: certificate 2 of 2 does not parse`]);
});

t.test("two of the gateway's own listeners on one port: named before anything starts", async (t) => {
  t.same(problems({ 'mqtt-port': '18883', 'http-port': '18883' }), [
    'http.port: 18883 is also mqtt.port; each listener needs its own port',
  ]);
  t.same(problems({ 'mqtt-port': '18883', 'mqtt-plain-port': '18883' }), [
    'mqtt.plainPort: 18883 is also mqtt.port; each listener needs its own port',
  ]);
  t.same(problems({ 'mqtt-port': '0', 'http-port': '0' }), [], 'any free port is not a clash');
  t.same(
    problems({ 'mqtt-port': '18883', 'mqtt-host': '192.0.2.1', 'http-port': '18883', 'http-host': '127.0.0.1' }),
    [],
    'two specific addresses may share a port',
  );
});

t.test('a webhook URL with user:password@ is refused, without echoing it; an ntfy URL keeps its basic auth', async (t) => {
  const secret = 'k'.repeat(16);
  for (const url of ['http://user:PASS@hooks.example/hook?token=X', 'https://user@hooks.example/hook']) {
    const found = problems({ 'notify-webhook-url': url, 'notify-webhook-secret': secret });
    t.same(found, [
      'notify.webhookUrl: must not contain user:password@ (the receiver checks the signature made with notify.webhookSecret; a token may go in the path or query)',
    ]);
    t.notMatch(found.join('\n'), /PASS|token=X|hooks\.example/, 'the URL is not echoed');
  }
  t.same(problems({ 'notify-webhook-url': 'https://hooks.example/hook?token=X', 'notify-webhook-secret': secret }), []);
  t.same(problems({ 'notify-ntfy-url': 'https://user:pass@ntfy.example/kitchen' }), [], 'documented: ntfy sends them as basic auth');
});

t.test('a floor above its cap is refused, naming both keys; equal is fine', async (t) => {
  t.same(
    problems({
      'relay-batch-min-records': '100',
      'relay-batch-max-records': '10',
      'relay-backoff-base-ms': '100000',
      'relay-backoff-max-ms': '10',
      'auth-failure-delay-ms': '10000',
      'auth-max-failure-delay-ms': '10',
    }),
    [
      'relay.batchMinRecords: 100 is above relay.batchMaxRecords (10); the smallest batch cannot exceed its cap',
      'relay.backoffBaseMs: 100000 is above relay.backoffMaxMs (10); the first retry delay cannot exceed its cap',
      'auth.failureDelayMs: 10000 is above auth.maxFailureDelayMs (10); the first delay cannot exceed its cap',
    ],
  );
  t.same(
    problems({ 'relay-batch-max-records': '20' }),
    ['relay.batchMinRecords: 50 is above relay.batchMaxRecords (20); the smallest batch cannot exceed its cap'],
    'a cap below a default floor too',
  );
  t.same(
    problems({
      'relay-batch-min-records': '10',
      'relay-batch-max-records': '10',
      'relay-backoff-base-ms': '10',
      'relay-backoff-max-ms': '10',
    }),
    [],
  );
});
