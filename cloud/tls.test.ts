import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { Agent, request } from 'undici';
import { selfSigned } from './testing/self-signed.js';
import { startCloud, testConfig } from './testing/servers.js';

/** With tls.certFile/tls.keyFile the cloud serves HTTPS only (embedded back-end, no servers needed). */
t.test('HTTPS with the configured certificate', async (t) => {
  const base = testConfig(t, undefined, 'tls');
  const { cert, key } = selfSigned();
  const certFile = join(base.dataDir, 'cert.pem');
  const keyFile = join(base.dataDir, 'key.pem');
  writeFileSync(certFile, cert);
  writeFileSync(keyFile, key, { mode: 0o600 });
  const c = await startCloud(t, testConfig(t, undefined, 'tls', { 'tls.certFile': certFile, 'tls.keyFile': keyFile }));
  const port = new URL(c.base).port;
  const agent = new Agent({ connect: { ca: cert } });
  t.teardown(() => agent.close());
  const res = await request(`https://127.0.0.1:${port}/healthz`, { dispatcher: agent });
  t.equal(res.statusCode, 200, 'the certificate is served and verifies against its CA');
  t.same(await res.body.json(), { status: 'ok' });
  await t.rejects(fetch(`http://127.0.0.1:${port}/healthz`), 'no plain HTTP on the TLS port');
});

t.test('a certificate without its key fails at build, naming the key and the file that is not there', async (t) => {
  const { buildCloud } = await import('./app.js');
  const { createLogger } = await import('../shared/log.js');
  const config = testConfig(t, undefined, 'tls2', { 'tls.certFile': '/nonexistent/cert.pem' });
  t.throws(() => buildCloud(config, createLogger({ name: 't', level: 'silent', pretty: false })), {
    code: 'SV_ERR_CONFIG_INVALID',
    details: ['tls.keyFile: required when tls.certFile is set', 'tls.certFile: /nonexistent/cert.pem: no such file (ENOENT)'],
  });
});
