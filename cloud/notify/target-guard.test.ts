import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';
import t from 'tap';
import { waitFor } from '../../test/harness/index.js';
import { ntfyReceiver } from '../../test/harness/notify-receivers.js';
import { batch, event, uid } from '../testing/fixtures.js';
import { api, startCloud, tenant, testConfig } from '../testing/servers.js';
import { isPrivateAddress, privateLiteral } from './target-guard.js';

t.test('private, loopback, link-local and unique-local addresses are refused; public ones pass', async (t) => {
  for (const a of [
    '127.0.0.1',
    '10.1.2.3',
    '172.20.0.5',
    '192.168.1.7',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    '::',
    'fd00::1',
    'fe80::1',
    '::ffff:127.0.0.1',
  ])
    t.ok(isPrivateAddress(a), a);
  for (const a of ['93.184.215.14', '8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8']) t.notOk(isPrivateAddress(a), a);
  t.match(privateLiteral('http://[::1]:8086/query'), /private address/);
  t.match(privateLiteral('https://localhost/hook'), /localhost/);
  t.equal(privateLiteral('https://hooks.example.org/x'), null, 'host names are judged when connecting');
});

t.test('a cloud that does not allow private targets refuses them when added and when sending', async (t) => {
  const c = await startCloud(t, testConfig(t, undefined, 'guard', { 'notify.allowPrivateTargets': false }), {
    notify: { intervalMs: 100, retry: { baseMs: 100, maxMs: 200, maxAttempts: 2 } },
  });
  const A = await tenant(c);
  const ntfy = await ntfyReceiver();
  await ntfy.start();
  t.teardown(() => ntfy.stop());
  const add = (body: unknown) => api(c.base, 'POST', '/v1/notifications/channels', A.admin, body);
  const lit = await add({ kind: 'webhook', url: `http://127.0.0.1:${ntfy.port}/kitchen`, secret: 's'.repeat(16) });
  t.equal(lit.status, 400);
  t.match(lit.body.error.details, [/^body\.url: points to a private address \(127\.0\.0\.1\)/]);
  t.match((await add({ kind: 'email', smtpUrl: 'smtp://u:p@10.0.0.8:587', to: ['a@example.org'] })).body.error.details, [
    /^body\.smtpUrl:/,
  ]);
  t.equal((await add({ kind: 'ntfy', url: 'http://[fd00::5]/x' })).status, 400);
  const creds = await add({ kind: 'webhook', url: 'https://hook:Sekrit-Pass@hooks.example.org/in?token=abc', secret: 's'.repeat(16) });
  t.equal(creds.status, 400, 'a webhook URL with user:password@ is refused');
  t.match(creds.body.error.details, [/^body\.url: must not contain user:password@/]);
  t.notMatch(JSON.stringify(creds.body), /Sekrit-Pass|token=abc/, 'without repeating the URL');

  const name = hostname();
  const resolved = await lookup(name).catch(() => null);
  if (!resolved || !isPrivateAddress(resolved.address)) {
    t.comment(`${name} does not resolve to a private address here: the connect-time check is not exercised`);
    return;
  }
  const byName = await add({ kind: 'ntfy', url: `http://${name}:${ntfy.port}/kitchen` });
  t.equal(byName.status, 201, 'a host name is accepted when added …');
  const kit = uid('kit').toLowerCase();
  const ev = event(kit, { type: 'reached', ts: Date.now(), data: { targetC: 56 } });
  t.equal((await api(c.base, 'POST', '/v1/ingest', A.gateway.token, batch([ev]))).status, 200);
  const failed = await waitFor('the refused delivery', async () => {
    const r = await api(c.base, 'GET', '/v1/notifications?state=failed', A.admin);
    return r.body.items[0];
  });
  t.match(
    failed.lastError,
    new RegExp(`${name} resolves to a private address \\(${resolved.address.replace(/\./g, '\\.')}\\)`),
    '… and refused when connecting',
  );
  t.equal(ntfy.received.length, 0, 'the receiver on the private address got nothing');
});
