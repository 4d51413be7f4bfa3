import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { waitFor } from '../../test/harness/index.js';
import { webhookReceiver } from '../../test/harness/notify-receivers.js';
import { addSecretChannels } from '../testing/secret-channels.js';
import { api, type RunningCloud, startCloud, tenant, testConfig } from '../testing/servers.js';

/**
 * notify.secretsKey (ADR 076): channel configs are sealed in the meta store, so the SQLite file
 * holds no webhook secret and no SMTP password, and the cloud still signs with the secret. A store
 * written without the key is sealed at the next start with it; a wrong key lists the channel as
 * sealed and fails its deliveries with the reason, and nothing crashes.
 */

const FAST = { retry: { baseMs: 200, maxMs: 1000, maxAttempts: 500 }, intervalMs: 100 };
const KEY = 'sealed-channels-test-key-0123456789abcdef';
const secret = 'whsec-sealed-7Hq2ZpXv93';
const smtpPass = 'smtpPassKq81Wz';

const hook = await webhookReceiver(secret);
await hook.start();
t.teardown(() => hook.stop());

/** The SQLite file and its WAL, as bytes (latin1: a string search finds ASCII in them). */
function storeBytes(c: RunningCloud): string {
  const files = ['cloud.db', 'cloud.db-wal'].filter((f) => existsSync(join(c.config.dataDir, f)));
  return files.map((f) => readFileSync(join(c.config.dataDir, f)).toString('latin1')).join('');
}

const addChannels = async (t: Test, c: RunningCloud, admin: string) =>
  (await addSecretChannels(t, c, admin, { hookUrl: hook.url, secret, smtpPass }))[0];

/** A test notification to the webhook channel reaches the receiver with a valid signature. */
async function signedTestArrives(t: Test, c: RunningCloud, admin: string, channel: string): Promise<void> {
  const r = await api(c.base, 'POST', '/v1/notifications/test', admin, { channel });
  t.equal(r.status, 202);
  const got = await waitFor('the signed test notification', async () => hook.received.find((d) => d.body.id === r.body.id));
  t.ok(got.check.ok, 'signed with the secret the cloud opened');
}

t.test('with notify.secretsKey the store holds neither the secret nor the password, and the webhook is signed', async (t) => {
  const c = await startCloud(t, testConfig(t, undefined, 'sealed', { 'notify.secretsKey': KEY }), { notify: FAST });
  const A = await tenant(c);
  const id = await addChannels(t, c, A.admin);
  const bytes = storeBytes(c);
  t.ok(bytes.includes(id), 'the channel row is in the file (the search works)');
  t.notOk(bytes.includes(secret), 'the webhook secret is not in the file');
  t.notOk(bytes.includes(smtpPass), 'nor the SMTP password');
  const list = await api(c.base, 'GET', '/v1/notifications/channels', A.admin);
  t.equal(list.status, 200);
  const kind = (k: string) => list.body.items.find((x: { kind: string }) => x.kind === k);
  t.match(kind('webhook'), { id, url: hook.url, secretSet: true }, 'the channels read back (opened)');
  t.match(kind('email'), { smtpUrl: /cook:\*\*\*@127\.0\.0\.1/ });
  await signedTestArrives(t, c, A.admin, id);
});

t.test('a store written without the key is sealed at the next start with it; a wrong key lists it as sealed', async (t) => {
  const plain = testConfig(t, undefined, 'sealed-upgrade');
  const before = await startCloud(t, plain, { notify: FAST });
  const A = await tenant(before);
  const id = await addChannels(t, before, A.admin);
  t.ok(storeBytes(before).includes(secret), 'without the key the secret is stored as given');
  await before.cloud.stop();
  const again = await startCloud(t, plain, { notify: FAST });
  await again.cloud.stop();
  t.ok(
    again.logs.some((l) => l.includes('stored as given')),
    'a start without the key on a store with channels warns',
  );

  const sealedConfig = testConfig(t, undefined, 'sealed-upgrade', { dataDir: plain.dataDir, 'notify.secretsKey': KEY });
  const after = await startCloud(t, sealedConfig, { notify: FAST });
  const bytes = storeBytes(after);
  t.ok(bytes.includes(id), 'the channel row is in the file');
  t.notOk(bytes.includes(secret), 'sealed at start: the webhook secret is no longer in the file');
  t.notOk(bytes.includes(smtpPass), 'nor the SMTP password');
  await signedTestArrives(t, after, A.admin, id);
  await after.cloud.stop();

  const wrong = testConfig(t, undefined, 'sealed-upgrade', { dataDir: plain.dataDir, 'notify.secretsKey': `${KEY}-wrong` });
  const w = await startCloud(t, wrong, { notify: FAST });
  const list = await api(w.base, 'GET', '/v1/notifications/channels', A.admin);
  t.equal(list.status, 200, 'the list answers');
  const shown = list.body.items.find((x: { id: string }) => x.id === id);
  t.match(shown, { id, kind: 'webhook', sealed: true, url: '(sealed: notify.secretsKey missing or wrong)' });
  t.notOk(JSON.stringify(list.body).includes('sv1:'), 'not the sealed value either');
  const r = await api(w.base, 'POST', '/v1/notifications/test', A.admin, { channel: id });
  t.equal(r.status, 202);
  const failed = await waitFor('the failed attempt', async () => {
    const d = await api(w.base, 'GET', `/v1/notifications?channel=${id}`, A.admin);
    return d.body.items.find(
      (x: { notification: { id: string }; lastError: string | null }) => x.notification.id === r.body.id && x.lastError,
    );
  });
  t.equal(failed.state, 'pending', 'retried by the policy');
  t.ok(failed.attempts >= 1);
  const email = list.body.items.find((x: { kind: string }) => x.kind === 'email');
  t.match(email, { sealed: true, url: '(sealed: notify.secretsKey missing or wrong)' }, 'the e-mail channel too');
  t.notOk(JSON.stringify(list.body).includes(smtpPass));
  t.match(failed.lastError, /notify\.secretsKey/, 'the reason names notify.secretsKey');
  t.equal((await api(w.base, 'GET', '/healthz')).status, 200, 'the cloud still answers');
});
