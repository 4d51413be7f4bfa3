import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import t from 'tap';
import { EmailChannel } from '../../../shared/notify/channels/email.js';
import { NtfyChannel } from '../../../shared/notify/channels/ntfy.js';
import { WebhookChannel } from '../../../shared/notify/channels/webhook.js';
import type { Notification } from '../../../shared/notify/message.js';
import { ntfyReceiver, smtpReceiver } from '../../../test/harness/notify-receivers.js';
import { ensurePki } from '../../tls/pki.js';

const n: Notification = {
  id: 'ev-ch-1',
  type: 'over_temp',
  severity: 'critical',
  deviceId: 'kit-1',
  at: '2026-12-04T12:00:00.000Z',
  text: 'The water is too hot (93.0 °C, limit 90.0 °C): the heater was switched off.',
};

t.test('e-mail: credentials never go over a server that does not offer STARTTLS', async (t) => {
  let authTried = false;
  const plain = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authOptional: true,
    logger: false,
    onAuth(_a, _s, cb) {
      authTried = true;
      cb(null, { user: 'x' });
    },
    onData(stream, _s, cb) {
      stream.resume();
      stream.on('end', () => cb());
    },
  });
  await new Promise<void>((r) => plain.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => new Promise<void>((r) => plain.close(() => r())));
  const port = (plain.server.address() as AddressInfo).port;
  const ch = new EmailChannel({ smtpUrl: `smtp://cook:secret-pass@127.0.0.1:${port}`, to: ['a@example.org'], from: 'gw@example.org' });
  t.teardown(() => ch.close());
  await t.rejects(ch.send(n), /STARTTLS|TLS/, 'refused: the server offers no STARTTLS');
  t.notOk(authTried, 'no AUTH was attempted in the clear');
});

t.test('e-mail: a wrong password is a failure naming the server answer', async (t) => {
  const { pki } = ensurePki(mkdtempSync(join(tmpdir(), 'sv-smtp-ch-')));
  const smtp = await smtpReceiver(
    { key: readFileSync(pki.serverKeyFile), cert: readFileSync(pki.serverCertFile) },
    { user: 'cook', pass: 'right' },
  );
  await smtp.start();
  t.teardown(() => smtp.stop());
  const ch = new EmailChannel({
    smtpUrl: `smtp://cook:wrong@localhost:${smtp.port}`,
    to: ['a@example.org'],
    from: 'gw@example.org',
    caFile: pki.caFile,
  });
  t.teardown(() => ch.close());
  const err = await ch.send(n).then(
    () => null,
    (e: Error) => e,
  );
  t.match(err?.message, /Invalid login|535|Invalid username/, err?.message ?? 'no error');
  t.notMatch(err?.message ?? '', /wrong/, 'the password is not in the error');
  t.equal(smtp.received.length, 0);
});

t.test('webhook: a non-2xx answer or a redirect is a failure with the status', async (t) => {
  const server = createServer((req, res) => {
    if (req.url === '/moved') res.writeHead(302, { location: '/elsewhere' }).end();
    else res.writeHead(503).end('busy, try later');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await t.rejects(new WebhookChannel(`${base}/hook`, 'k'.repeat(16)).send(n), { message: 'HTTP 503: busy, try later' });
  await t.rejects(new WebhookChannel(`${base}/moved`, 'k'.repeat(16)).send(n), /fetch failed|redirect/);
});

t.test('ntfy: critical is priority 5 with its tags; credentials in the URL go as basic auth', async (t) => {
  const ntfy = await ntfyReceiver();
  await ntfy.start();
  t.teardown(() => ntfy.stop());
  const url = new URL(ntfy.url);
  url.username = 'cook';
  url.password = 'p w';
  await new NtfyChannel(url.toString()).send(n);
  const got = ntfy.received[0];
  t.equal(got?.title, 'CRITICAL alarm: kit-1');
  t.equal(got?.priority, '5');
  t.equal(got?.tags, 'rotating_light,critical');
  t.equal(got?.text, n.text);
  t.equal(got?.id, n.id, 'the idempotency key');
  t.equal(got?.authorization, `Basic ${Buffer.from('cook:p w').toString('base64')}`, 'basic auth from the URL');
});

t.test('webhook: a URL with user:password@ (refused by the config, possible in code) fails without repeating it', async (t) => {
  const url = 'http://hookuser:Hook-PASS-77@127.0.0.1:9/hook?token=tok-0123456789';
  const err = await new WebhookChannel(url, 'k'.repeat(16)).send(n).then(
    () => undefined,
    (e: Error) => e,
  );
  t.ok(err, 'it fails');
  t.match(err?.message, /credentials/, 'saying why');
  t.notMatch(err?.message, /Hook-PASS-77|hookuser|tok-0123456789|127\.0\.0\.1/, 'without the URL or a part of it');
});
