import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import { sousvide, startMariaDb, waitFor } from '../../test/harness/index.js';
import { webhookReceiver } from '../../test/harness/notify-receivers.js';
import type { CloudConfig } from '../config.js';
import { MySqlDriver } from '../stores/mysql/mysql-driver.js';
import type { SqlDriver } from '../stores/sql/driver.js';
import { SqlMetaStore } from '../stores/sql/meta-store.js';
import { SqliteDriver } from '../stores/sqlite/sqlite-driver.js';
import { T0, uid } from '../testing/fixtures.js';
import { addSecretChannels } from '../testing/secret-channels.js';
import { api, type RunningCloud, startCloud, tenant, testConfig } from '../testing/servers.js';
import { SEALED_URL } from './channel-spec.js';
import { channelKeys, openWith } from './sealed-config.js';

/**
 * Rotating notify.secretsKey (ADR 077), on the embedded SQLite store and on MariaDB: channels
 * sealed under key A; an instance with B and previousSecretsKeys [A] reads them and seals them
 * again under B at start (asserted on the stored rows), and the webhook is still signed with the
 * secret it opened; an instance still on step 1 (A, previous [B]) reads what B sealed; a wrong
 * previous key changes nothing and lists the channels as sealed. No key is ever logged.
 */

const FAST = { retry: { baseMs: 200, maxMs: 1000, maxAttempts: 500 }, intervalMs: 100 };
const A = 'rotation-test-key-A-0123456789abcdef';
const B = 'rotation-test-key-B-0123456789abcdef';
const WRONG = 'rotation-test-key-W-0123456789abcdef';
const secret = 'whsec-rotation-5Tg8MnQa21';
const smtpPass = 'smtpPassRot73Hd';

const hook = await webhookReceiver(secret);
await hook.start();
t.teardown(() => hook.stop());
const mariadb = await startMariaDb(t);

type Backend = {
  name: string;
  /** A config on the scenario's one store with these keys. */
  config(t: Test, keys: Record<string, unknown>): CloudConfig;
  /** A second connection to that store, to read the stored rows. */
  raw(): Promise<SqlDriver>;
  /** Whether two instances may run on the store at once (the rolling change); else one at a time. */
  concurrent: boolean;
  /** The flags that point the CLI at the store. */
  storeFlags: string[];
};

function sqlite(t: Test): Backend {
  const dataDir = testConfig(t, undefined, 'rotation').dataDir;
  return {
    name: 'sqlite',
    config: (t, keys) => testConfig(t, undefined, 'rotation', { dataDir, ...keys }),
    raw: async () => new SqliteDriver(join(dataDir, 'cloud.db')),
    concurrent: false,
    storeFlags: ['--data-dir', dataDir],
  };
}

function mysql(): Backend {
  return {
    name: 'mariadb',
    // Meta store on MariaDB; each instance's telemetry and state embedded in its own data dir.
    config: (t, keys) => testConfig(t, undefined, 'rotation', { 'mysql.url': mariadb.url, 'mysql.queryTimeoutMs': 3000, ...keys }),
    raw: async () => {
      const d = new MySqlDriver({ url: mariadb.url, poolSize: 1, connectTimeoutMs: 3000, queryTimeoutMs: 5000 });
      await d.open();
      return d;
    },
    concurrent: true,
    storeFlags: ['--mysql-url', mariadb.url],
  };
}

const keys = (secretsKey: string, previous: string[] = []) => ({
  'notify.secretsKey': secretsKey,
  'notify.previousSecretsKeys': previous,
});

/** The stored `config` of each channel, as the meta store holds it. */
async function stored(b: Backend, ids: readonly string[]): Promise<Map<string, string>> {
  const d = await b.raw();
  try {
    const rows = await d.query<{ id: string; config: string }>(
      `SELECT id, config FROM notify_channels WHERE id IN (${ids.map(() => '?').join(',')})`,
      ids,
    );
    return new Map(rows.map((r) => [String(r.id), String(r.config)]));
  } finally {
    await d.close();
  }
}

/** Which of the keys given opens a stored value: 'current' (the first), or 'none'. */
function opensWith(value: string, id: string, key: string): string {
  try {
    return openWith(value, channelKeys(key), id).with;
  } catch {
    return 'none';
  }
}

/** `sousvide cloud notify keys --json` with these keys in the environment (read-only). */
async function cliCounts(b: Backend, secretsKey: string, previous: string[]): Promise<unknown> {
  const [cmd, args] = sousvide(['cloud', 'notify', 'keys', '--json', ...b.storeFlags]);
  const env = { ...process.env, SV_CLOUD_NOTIFY_SECRETS_KEY: secretsKey, SV_CLOUD_NOTIFY_PREVIOUS_SECRETS_KEYS: previous.join(',') };
  const { stdout, stderr } = await promisify(execFile)(cmd, args, { env, encoding: 'utf8' });
  if ([A, B, WRONG].some((k) => stdout.includes(k) || stderr.includes(k))) throw new Error('the CLI printed a key');
  return JSON.parse(stdout);
}

/** The start-up line with the counts (ADR 077), parsed. */
function atRestLine(c: RunningCloud, msg: RegExp): Record<string, unknown> | undefined {
  return c.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => msg.test(String(l.msg)));
}

function noKeyLogged(t: Test, c: RunningCloud): void {
  const all = c.logs.join('\n');
  t.notOk(
    [A, B, WRONG, secret, smtpPass].some((s) => all.includes(s)),
    'no key and no channel secret in the log',
  );
}

const addChannels = (t: Test, c: RunningCloud, admin: string) => addSecretChannels(t, c, admin, { hookUrl: hook.url, secret, smtpPass });

async function readable(t: Test, c: RunningCloud, admin: string, what: string): Promise<void> {
  const list = await api(c.base, 'GET', '/v1/notifications/channels', admin);
  t.equal(list.status, 200);
  const kind = (k: string) => list.body.items.find((x: { kind: string }) => x.kind === k);
  t.match(kind('webhook'), { url: hook.url, secretSet: true }, `${what}: the webhook channel opens`);
  t.notOk(kind('webhook').sealed, `${what}: not listed as sealed`);
  t.match(kind('email'), { smtpUrl: /cook:\*\*\*@127\.0\.0\.1/ }, `${what}: the e-mail channel opens`);
}

/** A test notification to the webhook channel reaches the receiver, signed with the secret the cloud opened. */
async function signedTestArrives(t: Test, c: RunningCloud, admin: string, channel: string, what: string): Promise<void> {
  const r = await api(c.base, 'POST', '/v1/notifications/test', admin, { channel });
  t.equal(r.status, 202);
  const got = await waitFor(`${what}: the signed test notification`, async () => hook.received.find((d) => d.body.id === r.body.id));
  t.ok(got.check.ok, `${what}: the signature verifies`);
}

async function rotation(t: Test, b: Backend): Promise<void> {
  // Before: every channel sealed under A.
  const before = await startCloud(t, b.config(t, keys(A)), { notify: FAST });
  const org = await tenant(before);
  const ids = await addChannels(t, before, org.admin);
  const [webhook] = ids as [string, string];
  await before.cloud.stop();
  const underA = await stored(b, ids);
  for (const id of ids) t.equal(opensWith(underA.get(id) as string, id, A), 'current', `${id} is sealed under A`);

  // A mistyped previous key: nothing opens, nothing is changed, the reason names the key.
  const wrong = await startCloud(t, b.config(t, keys(B, [WRONG])), { notify: FAST });
  const list = await api(wrong.base, 'GET', '/v1/notifications/channels', org.admin);
  t.equal(list.status, 200, 'the list answers');
  for (const id of ids)
    t.match(
      list.body.items.find((x: { id: string }) => x.id === id),
      { id, sealed: true, url: SEALED_URL },
    );
  const r = await api(wrong.base, 'POST', '/v1/notifications/test', org.admin, { channel: webhook });
  const failed = await waitFor('the failed attempt', async () => {
    const d = await api(wrong.base, 'GET', `/v1/notifications?channel=${webhook}`, org.admin);
    return d.body.items.find(
      (x: { notification: { id: string }; lastError: string | null }) => x.notification.id === r.body.id && x.lastError,
    );
  });
  t.match(failed, { state: 'pending', lastError: /notify\.secretsKey/ }, 'its delivery fails with the reason and is retried');
  t.match(atRestLine(wrong, /open with neither/), { unreadable: 2, resealed: 0 }, 'the start-up log counts them as unreadable');
  noKeyLogged(t, wrong);
  await wrong.cloud.stop();
  t.same(await stored(b, ids), underA, 'the stored rows are unchanged');

  // Step 1: the new key B only opens; a previous key no row uses yet is fine.
  let step1 = await startCloud(t, b.config(t, keys(A, [B])), { notify: FAST });
  await readable(t, step1, org.admin, 'step 1');
  t.match(atRestLine(step1, /none opens only with a previous key/), { sealed: 0, resealed: 0, onlyPreviousKey: 0, unreadable: 0 });
  t.same(await stored(b, ids), underA, 'step 1 changes no row');
  t.same(
    await cliCounts(b, B, [A]),
    { plain: 0, current: 0, previous: 2, unreadable: 0 },
    'before step 2 the CLI counts both as opening only with the previous key (not yet time to remove it)',
  );
  if (!b.concurrent) await step1.cloud.stop();

  // Step 2: B seals, A still opens; the start seals every row again under B.
  const step2 = await startCloud(t, b.config(t, keys(B, [A])), { notify: FAST });
  t.match(atRestLine(step2, /none opens only with a previous key/), { sealed: 0, resealed: 2, onlyPreviousKey: 0, unreadable: 0 });
  const underB = await stored(b, ids);
  for (const id of ids) {
    t.equal(opensWith(underB.get(id) as string, id, B), 'current', `${id} is now sealed under B`);
    t.equal(opensWith(underB.get(id) as string, id, A), 'none', `${id} no longer opens with A`);
  }
  await readable(t, step2, org.admin, 'step 2');
  t.same(
    await cliCounts(b, B, [A]),
    { plain: 0, current: 2, previous: 0, unreadable: 0 },
    'after step 2 the CLI counts none on the previous key: step 3 is safe',
  );
  await signedTestArrives(t, step2, org.admin, webhook, 'step 2');
  if (b.name === 'sqlite') {
    const files = ['cloud.db', 'cloud.db-wal'].filter((f) => existsSync(join(step2.config.dataDir, f)));
    const bytes = files.map((f) => readFileSync(join(step2.config.dataDir, f)).toString('latin1')).join('');
    t.ok(bytes.includes(underB.get(webhook) as string), 'the file holds the value under B (the search works)');
    t.notOk(
      [...underA.values()].some((v) => bytes.includes(v)),
      'and no longer the values under A (zeroed, WAL emptied)',
    );
  }
  noKeyLogged(t, step2);
  await step2.cloud.stop();

  // An instance still on step 1 reads what B sealed: on MariaDB the one started before step 2 and
  // running through it (a rolling change); on SQLite, one instance at a time, a restart with it.
  if (!b.concurrent) step1 = await startCloud(t, b.config(t, keys(A, [B])), { notify: FAST });
  await readable(t, step1, org.admin, 'step 1 on rows sealed by B');
  await signedTestArrives(t, step1, org.admin, webhook, 'step 1 on rows sealed by B');
  noKeyLogged(t, step1);
}

t.test('sqlite: rotating notify.secretsKey with notify.previousSecretsKeys', async (t) => rotation(t, sqlite(t)));
t.test('mariadb: rotating notify.secretsKey with notify.previousSecretsKeys, two instances at once', async (t) => rotation(t, mysql()));

t.test('mariadb: two instances starting together seal each row again once', async (t) => {
  const [C, D] = ['rotation-test-key-C-0123456789abcdef', 'rotation-test-key-D-0123456789abcdef'];
  const b = mysql();
  const store = async (secretsKey: string, previous: string[] = []) => {
    const m = new SqlMetaStore(await b.raw(), async () => {}, channelKeys(secretsKey, previous));
    t.teardown(() => m.close());
    return m;
  };
  const old = await store(C);
  const scope = { orgId: uid('org').toLowerCase() };
  await old.addOrg({ id: scope.orgId, name: scope.orgId, nowMs: T0 });
  const ids = Array.from({ length: 40 }, () => `nch-${uid().slice(2, 14)}`);
  const spec = { kind: 'webhook' as const, url: hook.url, secret };
  for (const id of ids) await old.notify.addChannel(scope, { id, spec, nowMs: T0 });
  const [one, two] = [await store(D, [C]), await store(D, [C])];
  const [x, y] = await Promise.all([one.notify.sealAtRest(), two.notify.sealAtRest()]);
  t.equal(x.resealed + y.resealed, ids.length, 'each row sealed again by one of them');
  t.equal(x.previous + y.previous, 0, 'none left on the previous key');
  // The rows of the test before, sealed under A or B, open with neither C nor D: counted, not changed.
  t.equal(x.sealed + y.sealed, 0);
  const now = await stored(b, ids);
  for (const id of ids) t.equal(opensWith(now.get(id) as string, id, D), 'current');
  t.match(await one.notify.getChannel(scope, ids[0] as string), { spec }, 'read back');
  t.match(await one.notify.configKeys(), { previous: 0, current: ids.length });
});
