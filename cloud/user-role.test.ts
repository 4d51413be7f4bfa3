import t from 'tap';
import { createOrg } from './admin.js';
import { hashSecret } from './auth/tokens.js';
import { createUser } from './auth/users.js';
import { DEFAULT_ORG } from './stores/types.js';
import { sessionClient } from './testing/browserless.js';
import { uid } from './testing/fixtures.js';
import { api, credentials, startCloud, tenant, testConfig } from './testing/servers.js';

/** An org admin changes a user's role (PATCH /v1/users/{id}), through HTTP on the embedded store, with real session cookies. */
const c = await startCloud(t, testConfig(t, undefined, 'user-role'));
const org = await createOrg(c.cloud.stores.meta, 'role-co', Date.now());
const creds = await credentials(c, org.id);
const meta = c.cloud.stores.meta;

/** A user with a password, logged in through the login route (the session cookie a browser gets). */
async function member(role: string, orgId = org.id, serviceAdmin = false) {
  const email = `${uid('u')}@example.com`;
  const password = `${uid('pw')} is the passphrase`;
  const { id } = await createUser(meta, { email, orgId, role, password, serviceAdmin, publicUrl: c.base }, Date.now());
  const session = sessionClient(c.base);
  const login = await session.login(email, password);
  if (login.status !== 200) throw new Error(`login failed: ${JSON.stringify(login.body)}`);
  return { id, email, session };
}
const patch = (id: string, body: unknown, key = creds.admin) => api(c.base, 'PATCH', `/v1/users/${id}`, key, body);
const roleAudits = async (orgId = org.id) => (await meta.listAudit({ orgId }, { action: 'user.role' }, { limit: 100 })).items;

t.test("a demoted admin's open dashboard gets 403 on an admin route at its next call, and a viewer's answers", async (t) => {
  const dan = await member('admin');
  const fay = await member('admin');
  t.equal((await dan.session.call('GET', '/v1/users')).status, 200, 'dan is an admin');

  const demoted = await fay.session.call('PATCH', `/v1/users/${dan.id}`, { role: 'viewer' });
  t.equal(demoted.status, 200, 'another admin demotes dan, through her session');
  t.match(demoted.body, { id: dan.id, orgId: org.id, email: dan.email, role: 'viewer', serviceAdmin: false, passwordSet: true });
  const listed = (await api(c.base, 'GET', '/v1/users?limit=500', creds.admin)).body.items.find((u: { id: string }) => u.id === dan.id);
  t.same(demoted.body, listed, 'the user as GET /v1/users lists it');
  t.notMatch(JSON.stringify(demoted.body), /argon2|passwordHash/, 'never a password hash');

  const admin = await dan.session.call('GET', '/v1/users');
  t.equal(admin.status, 403, "dan's open session lost the admin role at its next call");
  t.same(admin.body.error.details, ['principal.role: viewer < admin']);
  t.equal((await dan.session.call('POST', '/v1/keys', { role: 'admin', owner: 'dan' })).status, 403, 'nor can it make a key');
  t.equal((await dan.session.call('GET', '/v1/devices')).status, 200, 'a viewer route still answers: the session lives on');
  t.match((await dan.session.call('GET', '/v1/auth/session')).body, { user: { id: dan.id, role: 'viewer' } }, 'and says viewer');

  t.equal((await patch(dan.id, { role: 'admin' })).status, 200, 'promoted again (an admin key)');
  t.equal((await dan.session.call('GET', '/v1/users')).status, 200, 'a promotion applies at the next call too');
});

t.test('the rules: each refusal names the field, and changes nothing', async (t) => {
  const boss = await member('admin');
  const cook = await member('viewer');
  const before = await roleAudits();
  const self = await boss.session.call('PATCH', `/v1/users/${boss.id}`, { role: 'viewer' });
  t.equal(self.status, 409, 'nobody changes their own role');
  t.match(self.body.error, { code: 'SV_ERR_CONFLICT', message: /another admin/, details: ['params.id: the logged-in user'] });
  const other = await tenant(c);
  const foreign = await patch(cook.id, { role: 'admin' }, other.admin);
  t.equal(foreign.status, 404, "another org's admin does not see the user");
  t.same(foreign.body.error.details, ['params.id: no such user']);
  t.equal((await patch('usr-000000000000', { role: 'admin' })).status, 404, 'an unknown id');
  t.same((await patch('cook', { role: 'admin' })).body.error.details, ['params.id: a user id (usr-…)'], 'a malformed id');
  const root = await patch(cook.id, { role: 'root' });
  t.equal(root.status, 400);
  t.match(root.body.error.details, [/^body\.role: /], 'an unknown role names body.role');
  t.match((await patch(cook.id, {})).body.error.details, [/^body\.role: /], 'a missing role too');
  t.same((await patch(cook.id, { role: 'admin', email: 'x@example.com' })).body.error.details, ['body.email: unknown field']);
  t.equal((await patch(cook.id, { role: 'admin' }, creds.operator)).status, 403, 'an operator may not');
  const limited = await api(c.base, 'POST', '/v1/keys', creds.admin, { role: 'admin', owner: 'gw-admin', gateway: creds.gateway.id });
  const byLimited = await patch(cook.id, { role: 'admin' }, limited.body.key);
  t.equal(byLimited.status, 403, "an admin key limited to one gateway manages no org's users");
  t.same(byLimited.body.error.details, ['key: limited to one gateway']);
  const noCsrf = await boss.session.call('PATCH', `/v1/users/${cook.id}`, { role: 'admin' }, { csrf: false });
  t.equal(noCsrf.status, 403, 'a session needs the CSRF token');
  t.equal((await meta.users.userById(cook.id))?.role, 'viewer', 'none of that changed the role');
  t.same(await roleAudits(), before, 'nor audited anything');

  const same = await patch(cook.id, { role: 'viewer' });
  t.equal(same.status, 200, 'the same role: a no-op');
  t.match(same.body, { id: cook.id, role: 'viewer' });
  t.same(await roleAudits(), before, 'with no audit row');

  t.equal((await boss.session.call('PATCH', `/v1/users/${cook.id}`, { role: 'operator' })).status, 200);
  const trail = await roleAudits();
  t.equal(trail.length, before.length + 1, 'a change is audited once');
  t.match(trail[0], {
    action: 'user.role',
    actor: { type: 'user', id: boss.email },
    data: { changedUserId: cook.id, email: cook.email, oldRole: 'viewer', newRole: 'operator', userId: boss.id, role: 'admin' },
  });
});

t.test("the org's only admin is not demoted: invite or promote another admin first", async (t) => {
  const small = await tenant(c);
  const only = await member('admin', small.orgId);
  const helper = await member('operator', small.orgId);
  const last = await patch(only.id, { role: 'operator' }, small.admin);
  t.equal(last.status, 409, 'an admin key is no admin user: the only admin user stays');
  t.match(last.body.error, {
    code: 'SV_ERR_CONFLICT',
    message: /invite or promote another admin first/,
    details: ['params.id: the only admin of the org'],
  });
  t.equal((await only.session.call('GET', '/v1/users')).status, 200, 'still an admin');
  t.same(await roleAudits(small.orgId), [], 'nothing audited');
  t.equal((await only.session.call('PATCH', `/v1/users/${helper.id}`, { role: 'admin' })).status, 200, 'a promotion');
  t.equal((await patch(only.id, { role: 'operator' }, small.admin)).status, 200, 'then the demotion');
  t.equal((await only.session.call('GET', '/v1/users')).status, 403);
});

t.test("a service admin's role is changed by a service admin only", async (t) => {
  const operatorKey = await credentials(c, DEFAULT_ORG);
  const root = await member('admin', DEFAULT_ORG, true);
  const ops = await member('admin', DEFAULT_ORG, true);
  const byOrgAdmin = await patch(root.id, { role: 'viewer' }, operatorKey.admin);
  t.equal(byOrgAdmin.status, 403, "the default org's admin key may not");
  t.same(byOrgAdmin.body.error.details, ['principal.role: not a service admin']);
  const byService = await ops.session.call('PATCH', `/v1/users/${root.id}`, { role: 'operator' });
  t.equal(byService.status, 200, 'another service admin may');
  t.match(byService.body, { id: root.id, role: 'operator', serviceAdmin: true });
});

t.test('the keys a demoted or removed admin made go with the role: above it revoked, and no key restores its maker', async (t) => {
  const dan = await member('admin');
  const fay = await member('admin');
  type Call = (m: string, p: string, b?: unknown) => Promise<{ status: number; body: unknown }>;
  const make = async (role: string, by: Call) => {
    const r = await by('POST', '/v1/keys', { role, owner: `dan-${role}` });
    if (r.status !== 201) throw new Error(`key: ${r.status}`);
    return r.body as { id: string; key: string };
  };
  const viaSession = (m: string, p: string, b?: unknown) => dan.session.call(m, p, b);
  const adminKey = await make('admin', viaSession);
  // A key the admin key makes is still dan's: a demotion must not leave it behind.
  const grandchild = await make('admin', (m, p, b) => api(c.base, m, p, adminKey.key, b));
  const opKey = await make('operator', viaSession);
  const viewKey = await make('viewer', viaSession);
  t.match(await meta.apiKeyByHash(hashSecret(grandchild.key)), { createdBy: dan.id }, "the key's key is dan's too");

  const self = await patch(dan.id, { role: 'viewer' }, adminKey.key);
  t.equal(self.status, 409, "dan's own key does not change dan's role");
  t.same(self.body.error.details, ['params.id: the maker of this API key']);
  t.equal((await api(c.base, 'DELETE', `/v1/users/${dan.id}`, adminKey.key)).status, 409, 'nor removes dan');

  const demoted = await fay.session.call('PATCH', `/v1/users/${dan.id}`, { role: 'operator' });
  t.equal(demoted.status, 200);
  for (const k of [adminKey, grandchild])
    t.equal((await api(c.base, 'GET', '/v1/users', k.key)).status, 401, `${k.id}: revoked with the demotion`);
  t.equal((await patch(dan.id, { role: 'admin' }, adminKey.key)).status, 401, 'so dan cannot promote himself back through it');
  t.equal((await api(c.base, 'PUT', '/v1/presets/dan-s-egg', opKey.key, { targetC: 63 })).status, 200, 'an operator key stays');
  t.equal((await api(c.base, 'GET', '/v1/devices', viewKey.key)).status, 200, 'a viewer key stays');
  const audit = (await roleAudits()).find((a) => (a.data as { changedUserId?: string }).changedUserId === dan.id);
  t.same(
    ((audit?.data as { revokedKeys?: string[] } | undefined)?.revokedKeys ?? []).sort(),
    [adminKey.id, grandchild.id].sort(),
    'the audit row names them',
  );
  const listed = (await api(c.base, 'GET', '/v1/keys?limit=500', creds.admin)).body.items as { id: string; revokedMs: number | null }[];
  t.ok(
    listed.filter((k) => [adminKey.id, grandchild.id].includes(k.id)).every((k) => k.revokedMs !== null),
    'listed as revoked',
  );

  const removed = await fay.session.call('DELETE', `/v1/users/${dan.id}`);
  t.equal(removed.status, 204);
  for (const k of [opKey, viewKey])
    t.equal((await api(c.base, 'GET', '/v1/devices', k.key)).status, 401, `${k.id}: revoked with the removal`);
  t.equal((await api(c.base, 'GET', '/v1/devices', creds.viewer)).status, 200, 'keys of others (the CLI made these) stay');
});

t.test('a key or an invitation asked for just as its maker is demoted is refused, even through a cached key', async (t) => {
  // Its own cloud, with the verification cache on: the CLI demotes beside it and tells it nothing.
  const cached = await startCloud(t, testConfig(t, undefined, 'user-role-cached', { 'auth.cacheTtlMs': 300_000 }));
  const cmeta = cached.cloud.stores.meta;
  const corg = await createOrg(cmeta, `cached-${uid('o').toLowerCase()}`, Date.now());
  const ccreds = await credentials(cached, corg.id);
  const email = `${uid('u')}@example.com`;
  const password = `${uid('pw')} is the passphrase`;
  const { id: dan } = await createUser(cmeta, { email, orgId: corg.id, role: 'admin', password, publicUrl: cached.base }, Date.now());
  const session = sessionClient(cached.base);
  t.equal((await session.login(email, password)).status, 200);
  const made = await session.call('POST', '/v1/keys', { role: 'admin', owner: 'dan' });
  t.equal(made.status, 201);
  const danKey = (made.body as { key: string }).key;
  t.equal((await api(cached.base, 'GET', '/v1/users', danKey)).status, 200, "dan's key is verified, and cached");

  const invited = await session.call('POST', '/v1/users', { email: `${uid('new')}@example.com`, role: 'admin' });
  t.equal(invited.status, 201, 'dan invites an admin while he is one');
  const token = String((invited.body as { inviteUrl: string }).inviteUrl).replace(/^.*\/invite\//, '');
  const keptInvite = await session.call('POST', '/v1/users', { email: `${uid('cook')}@example.com`, role: 'operator' });
  t.equal(keptInvite.status, 201, 'and an operator');

  // The service operator demotes dan straight on the store (as `sousvide cloud user role` does).
  const changed = await cmeta.users.changeRole({ orgId: corg.id }, dan, 'operator', Date.now());
  t.match(changed, { oldRole: 'admin', revokedKeys: [made.body.id], withdrawnInvites: [invited.body.id] });

  const again = await api(cached.base, 'POST', '/v1/keys', danKey, { role: 'admin', owner: 'dan-again' });
  t.equal(again.status, 401, 'the revoked key, still cached here, makes no key: it is re-read under the org lock');
  const invitedAgain = await api(cached.base, 'POST', '/v1/users', danKey, { email: `${uid('x')}@example.com`, role: 'admin' });
  t.equal(invitedAgain.status, 401, 'nor an invitation');
  const keys = (await cmeta.listApiKeys({ orgId: corg.id }, { limit: 100 })).items;
  t.notOk(
    keys.some((k) => k.owner === 'dan-again'),
    'no key was made',
  );
  t.equal(
    (await api(cached.base, 'POST', '/v1/auth/invite', undefined, { token, password: `${uid('pw')} a new passphrase` })).status,
    404,
    'the admin invitation dan issued is withdrawn',
  );
  const users = (await api(cached.base, 'GET', '/v1/users?limit=500', ccreds.admin)).body.items as { id: string }[];
  t.notOk(
    users.some((u) => u.id === invited.body.id),
    'and its invited user is gone',
  );
  t.ok(
    users.some((u) => u.id === keptInvite.body.id),
    'an invitation within his new role stays',
  );
});
