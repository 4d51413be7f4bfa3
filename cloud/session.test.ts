import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { createOrg } from './admin.js';
import { createUser } from './auth/users.js';
import { sessionClient } from './testing/browserless.js';
import { batch, registry, telemetry, uid } from './testing/fixtures.js';
import { api, credentials, startCloud, tenant, testConfig } from './testing/servers.js';

/** Users and dashboard sessions through HTTP on the embedded store: login, CSRF, logout, expiry, password change, invitation. */
let clock = Date.now();
const c = await startCloud(t, testConfig(t, undefined, 'session', { 'auth.sessionTtlMs': 3_600_000 }), { now: () => clock });
const org = await createOrg(c.cloud.stores.meta, 'kitchen-co', clock);
const creds = await credentials(c, org.id);
const kit = uid('kit').toLowerCase();
await api(c.base, 'POST', '/v1/ingest', creds.gateway.token, batch([registry([kit]), telemetry(kit, 1, 1)]));
const PASSWORD = 'a long enough passphrase 7';
/** A user of the test org with a password set (no invitation). */
const member = (email: string, role: string, password: string) =>
  createUser(c.cloud.stores.meta, { email, orgId: org.id, role, password, publicUrl: 'http://x' }, clock);
const made = await member('Ada@Example.com', 'operator', PASSWORD);

t.test('login: wrong password refused, the right one sets an httpOnly SameSite=Strict session cookie', async (t) => {
  const s = sessionClient(c.base);
  const wrong = await s.login('ada@example.com', 'not the password at all');
  t.equal(wrong.status, 401);
  t.equal(wrong.body.error.code, 'SV_ERR_UNAUTHORIZED');
  t.equal((await s.login('nobody@example.com', PASSWORD)).status, 401, 'an unknown e-mail reads the same');
  const ok = await s.login('ADA@example.com', PASSWORD);
  t.equal(ok.status, 200);
  t.match(ok.body, { user: { id: made.id, email: 'ada@example.com', role: 'operator' }, org: { id: org.id, name: 'kitchen-co' } });
  const cookie = ok.setCookie.find((x) => x.startsWith('sv_session=')) ?? '';
  t.match(cookie, /HttpOnly/);
  t.match(cookie, /SameSite=Strict/);
  t.notMatch(cookie, /Secure/, 'not Secure on plain HTTP (it is under TLS: secure "auto")');
  const who = await s.call('GET', '/v1/auth/session');
  t.match(who.body, { user: { email: 'ada@example.com' }, org: { name: 'kitchen-co' }, csrfToken: /\S{20,}/ });
  const devices = await s.call('GET', '/v1/devices');
  t.same(
    devices.body.items.map((d: { id: string }) => d.id),
    [kit],
    "the session sees its org's kits",
  );

  const noCsrf = await s.call('PUT', `/v1/devices/${kit}/cook`, { targetC: 60 }, { csrf: false });
  t.equal(noCsrf.status, 403, 'a state-changing call without the CSRF token is refused');
  t.match(noCsrf.body.error, { code: 'SV_ERR_FORBIDDEN', details: [/^x-csrf-token: /] });
  t.equal(await c.cloud.stores.meta.getDesiredCook({ orgId: org.id }, kit), null, 'and changed nothing');
  const withCsrf = await s.call('PUT', `/v1/devices/${kit}/cook`, { targetC: 60 });
  t.equal(withCsrf.status, 200, 'with it, the operator sets a cook');
  const trail = await c.cloud.stores.meta.listAudit({ orgId: org.id }, { action: 'cook.set' }, { limit: 5 });
  t.match(trail.items[0], { actor: { type: 'user', id: 'ada@example.com' }, data: { userId: made.id, role: 'operator' } });
  t.equal((await s.call('GET', '/v1/keys')).status, 403, 'roles apply to sessions');

  t.equal((await s.call('POST', '/v1/auth/logout', undefined, { csrf: false })).status, 403, 'logout needs the token too');
  const before = s.cookie;
  t.equal((await s.call('POST', '/v1/auth/logout')).status, 204);
  const out = await s.call('GET', '/v1/devices');
  t.equal(out.status, 401, 'logged out');
  t.same(out.body.error.details, ['authorization: required'], 'the cookie was cleared: nothing was sent');
  s.cookie = before;
  const ended = await s.call('GET', '/v1/devices');
  t.equal(ended.status, 401, 'the old cookie, sent again, is refused');
  t.same(ended.body.error.details, ['session: ended or unknown'], 'and the answer says the session ended, not that a key is missing');
});

t.test('a session expires', async (t) => {
  const s = sessionClient(c.base);
  t.equal((await s.login('ada@example.com', PASSWORD)).status, 200);
  t.equal((await s.call('GET', '/v1/auth/session')).status, 200);
  clock += 3_600_001;
  t.equal((await s.call('GET', '/v1/auth/session')).status, 401, 'past auth.sessionTtlMs the session is gone');
});

t.test('password change: policy, the current password, other sessions end', async (t) => {
  const a = sessionClient(c.base);
  const b = sessionClient(c.base);
  await a.login('ada@example.com', PASSWORD);
  await b.login('ada@example.com', PASSWORD);
  await a.call('GET', '/v1/auth/session');
  const weak = await a.call('POST', '/v1/auth/password', { current: PASSWORD, next: 'short' });
  t.match(weak.body.error, { code: 'SV_ERR_VALIDATION', details: ['body.next: at least 12 characters'] });
  t.equal((await a.call('POST', '/v1/auth/password', { current: 'wrong wrong wrong', next: 'another fine passphrase' })).status, 401);
  t.equal((await a.call('POST', '/v1/auth/password', { current: PASSWORD, next: 'another fine passphrase' })).status, 204);
  t.equal((await a.call('GET', '/v1/auth/session')).status, 200, 'this session stays');
  t.equal((await b.call('GET', '/v1/auth/session')).status, 401, 'the other one ended');
  t.equal((await sessionClient(c.base).login('ada@example.com', PASSWORD)).status, 401, 'the old password is gone');
  t.equal((await sessionClient(c.base).login('ada@example.com', 'another fine passphrase')).status, 200);
});

t.test('invitation: an admin invites, the link works once', async (t) => {
  const inv = await api(c.base, 'POST', '/v1/users', creds.admin, { email: 'bo@example.com', role: 'viewer' });
  t.equal(inv.status, 201);
  t.match(inv.body, { id: /^usr-/, inviteUrl: /\/dashboard\/#\/invite\/svi_/ });
  const token = String(inv.body.inviteUrl).split('/invite/')[1];
  const weak = await api(c.base, 'POST', '/v1/auth/invite', undefined, { token, password: 'bo@example.com' });
  t.equal(weak.status, 400, 'the policy applies, and a refused password does not use the link up');
  t.equal((await api(c.base, 'POST', '/v1/auth/invite', undefined, { token, password: 'bo has a good passphrase' })).status, 204);
  t.equal((await api(c.base, 'POST', '/v1/auth/invite', undefined, { token, password: 'bo has a good passphrase' })).status, 404, 'once');
  t.equal((await sessionClient(c.base).login('bo@example.com', 'bo has a good passphrase')).status, 200);
  const list = await api(c.base, 'GET', '/v1/users', creds.admin);
  t.same(list.body.items.map((u: { email: string }) => u.email).sort(), ['ada@example.com', 'bo@example.com']);
  t.notMatch(JSON.stringify(list.body), /password_hash|passwordHash|\$argon2/, 'never a hash');
});

t.test('a password is in plaintext nowhere', async (t) => {
  const files = ['cloud.db', 'cloud.db-wal'].filter((f) => existsSync(join(c.config.dataDir, f)));
  const db = files.map((f) => readFileSync(join(c.config.dataDir, f)).toString('latin1')).join('');
  for (const p of [PASSWORD, 'another fine passphrase', 'bo has a good passphrase']) {
    t.notOk(db.includes(p), 'not in the store');
    t.notOk(c.logs.join('').includes(p), 'not in the logs');
  }
  t.match(db, /\$argon2id\$/, 'argon2id hashes');
});

t.test('200 failed logins from one address do not stop a valid session or key from it', async (t) => {
  const s = sessionClient(c.base);
  const statuses = new Set<number>();
  for (let i = 0; i < 200; i++)
    statuses.add((await sessionClient(c.base).login(`guess${i % 20}@example.com`, 'wrong password here')).status);
  t.same([...statuses].sort(), [401, 429], 'guessing is stopped');
  t.equal((await s.login('bo@example.com', 'bo has a good passphrase')).status, 200, 'a correct login from the same address');
  t.equal((await s.call('GET', '/v1/devices')).status, 200);
  t.equal((await api(c.base, 'GET', '/v1/devices', creds.viewer)).status, 200, 'and a valid key');
  for (let i = 0; i < 11; i++) await sessionClient(c.base).login('ada@example.com', 'wrong password here');
  t.equal(
    (await sessionClient(c.base).login('ada@example.com', 'another fine passphrase')).status,
    429,
    'an account over its limit is locked',
  );
  const lockouts = await c.cloud.stores.meta.listAudit({ orgId: org.id }, { action: 'auth.lockout' }, { limit: 5 });
  t.match(lockouts.items, [{ data: { scope: 'account', account: 'ada@example.com' } }], 'the account lockout is audited in its org');
});

t.test("device cookies: others' guesses lock an account, but not a browser that logged in to it before", async (t) => {
  clock += 61_000; // past the failure window of the tests above: this address starts with no failures
  const pw = 'cora has a passphrase too';
  const cora = await member('cora@example.com', 'viewer', pw);
  const own = sessionClient(c.base);
  const first = await own.login('cora@example.com', pw);
  t.equal(first.status, 200);
  const set = first.setCookie.find((x) => x.startsWith('sv_device=')) ?? '';
  t.match(set, /HttpOnly/);
  t.match(set, /SameSite=Strict/);
  t.match(set, /Path=\/v1\/auth\/login/, 'sent back to the login route only');
  t.match(own.device, /^sv_device=[^;]+\.[^.;]+$/, 'a signed value');
  t.equal((await own.call('POST', '/v1/auth/logout')).status, 204);

  // Someone who knows only the e-mail guesses: the account locks.
  for (let i = 0; i < 11; i++) await sessionClient(c.base).login('cora@example.com', `guess number ${i}`);
  const stranger = await sessionClient(c.base).login('cora@example.com', pw);
  t.equal(stranger.status, 429, 'a browser without the cookie is locked out, even with the right password');
  t.equal((await own.login('cora@example.com', pw)).status, 200, "the owner's browser logs in");
  t.equal((await own.call('GET', '/v1/devices')).status, 200);

  // The cookie proves nothing for another account, and a forged or altered one proves nothing.
  const borrowed = sessionClient(c.base);
  borrowed.device = own.device;
  for (let i = 0; i < 11; i++) await sessionClient(c.base).login('ada@example.com', `guess number ${i}`);
  t.equal((await borrowed.login('ada@example.com', PASSWORD)).status, 429, "cora's cookie does not open ada's locked account");
  const forged = sessionClient(c.base);
  forged.device = `sv_device=${encodeURIComponent(`${cora.id}.AAAAAAAAAAAAAAAAAAAAAA`)}`;
  t.equal((await forged.login('cora@example.com', pw)).status, 429, 'an unsigned cookie naming cora is worth nothing');
  const altered = sessionClient(c.base);
  altered.device = own.device.replace(/.(?=;|$)/, (ch) => (ch === 'A' ? 'B' : 'A'));
  t.equal((await altered.login('cora@example.com', pw)).status, 429, 'nor a signed one altered');

  // A trusted browser that guesses is counted on its own, and locked on its own.
  const guesser = sessionClient(c.base);
  guesser.device = own.device;
  const own2 = sessionClient(c.base);
  own2.device = own.device;
  const tries: number[] = [];
  for (let i = 0; i < 12; i++) tries.push((await guesser.login('cora@example.com', `wrong ${i}`)).status);
  t.same(tries.slice(0, 10), Array(10).fill(401), 'its failures are 401 up to the per-account limit');
  t.equal(tries.at(-1), 429, 'then it is locked too');
  t.equal((await own2.login('cora@example.com', pw)).status, 429, 'and that cookie no longer opens the locked account');
  const lockouts = await c.cloud.stores.meta.listAudit({ orgId: org.id }, { action: 'auth.lockout' }, { limit: 10 });
  t.ok(
    lockouts.items.some((a) => /^device:/.test(String((a.data as { account?: string }).account))),
    "the cookie's lockout is audited in the account's org",
  );
});

t.test('an admin removes a user: their session ends, their link dies, their e-mail can be invited again', async (t) => {
  const pw = 'dan picks a passphrase';
  const dan = await member('dan@example.com', 'admin', pw);
  const s = sessionClient(c.base);
  t.equal((await s.login('dan@example.com', pw)).status, 200);
  const eve = await api(c.base, 'POST', '/v1/users', creds.admin, { email: 'eve@example.com', role: 'viewer' });
  const eveToken = String(eve.body.inviteUrl).split('/invite/')[1];

  const self = await s.call('DELETE', `/v1/users/${dan.id}`);
  t.equal(self.status, 409, 'nobody removes themselves (the last admin would be gone)');
  t.same(self.body.error.details, ['params.id: the logged-in user']);
  const other = await tenant(c);
  const foreign = await api(c.base, 'DELETE', `/v1/users/${dan.id}`, other.admin);
  t.equal(foreign.status, 404, "another org's admin does not see the user");
  t.equal((await api(c.base, 'DELETE', '/v1/users/dan', creds.admin)).status, 400, 'a malformed id');
  t.equal((await api(c.base, 'DELETE', `/v1/users/${dan.id}`, creds.operator)).status, 403, 'an operator may not');
  const limited = await api(c.base, 'POST', '/v1/keys', creds.admin, { role: 'admin', owner: 'gw-admin', gateway: creds.gateway.id });
  t.equal(limited.status, 201);
  const byLimited = await api(c.base, 'DELETE', `/v1/users/${dan.id}`, limited.body.key);
  t.equal(byLimited.status, 403, "an admin key limited to one gateway manages no org's users");
  t.same(byLimited.body.error.details, ['key: limited to one gateway']);
  t.equal((await api(c.base, 'POST', '/v1/users', limited.body.key, { email: 'x@example.com', role: 'admin' })).status, 403, 'nor invites');
  const last = await api(c.base, 'DELETE', `/v1/users/${dan.id}`, creds.admin);
  t.equal(last.status, 409, "the org's only admin is not removed");
  t.same(last.body.error.details, ['params.id: the only admin of the org']);
  t.equal((await s.call('GET', '/v1/devices')).status, 200, 'none of that removed anything');
  await member('fay@example.com', 'admin', 'fay has her own passphrase');

  t.equal((await api(c.base, 'DELETE', `/v1/users/${dan.id}`, creds.admin)).status, 204, 'with another admin, dan goes');
  t.equal((await s.call('GET', '/v1/devices')).status, 401, "dan's open session ended");
  t.equal((await sessionClient(c.base).login('dan@example.com', pw)).status, 401, 'dan cannot log in');
  t.equal((await api(c.base, 'DELETE', `/v1/users/${dan.id}`, creds.admin)).status, 404, 'removed once');
  t.equal((await api(c.base, 'DELETE', `/v1/users/${eve.body.id}`, creds.admin)).status, 204);
  t.equal(
    (await api(c.base, 'POST', '/v1/auth/invite', undefined, { token: eveToken, password: 'eve has a passphrase' })).status,
    404,
    "a removed user's invitation no longer works",
  );
  const users = await api(c.base, 'GET', '/v1/users?limit=500', creds.admin);
  t.notOk(
    users.body.items.some((u: { email: string }) => u.email === 'dan@example.com' || u.email === 'eve@example.com'),
    'neither is listed',
  );
  const again = await api(c.base, 'POST', '/v1/users', creds.admin, { email: 'dan@example.com', role: 'viewer' });
  t.equal(again.status, 201, 'the e-mail can be invited again');
  t.not(again.body.id, dan.id, 'as a new user');
  const trail = await c.cloud.stores.meta.listAudit({ orgId: org.id }, { action: 'user.remove' }, { limit: 5 });
  const byUser = new Map(trail.items.map((a) => [(a.data as { removedUserId: string }).removedUserId, a]));
  t.equal(trail.items.length, 2, 'each removal is audited once');
  t.match(byUser.get(dan.id), { data: { email: 'dan@example.com', removedRole: 'admin' } });
  t.match(byUser.get(eve.body.id), { data: { email: 'eve@example.com', removedRole: 'viewer' } });
});
