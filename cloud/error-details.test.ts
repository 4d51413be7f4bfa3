import t from 'tap';
import { createOrg } from './admin.js';
import { createUser } from './auth/users.js';
import { DEFAULT_ORG } from './stores/types.js';
import { sessionClient } from './testing/browserless.js';
import { uid } from './testing/fixtures.js';
import { api, credentials, startCloud, testConfig } from './testing/servers.js';

/**
 * The details of the admin API's refusals name the field with its part (docs/api.md): `body.name`,
 * `body.email`, `body.gateway`; a role that does not allow the action names the caller's role,
 * `principal.role`. On the embedded store, through HTTP.
 */
const c = await startCloud(t, testConfig(t, undefined, 'details'));
const org = await createOrg(c.cloud.stores.meta, 'details-co', Date.now());
const creds = await credentials(c, org.id);
const PASSWORD = 'a long enough passphrase 7';
await createUser(
  c.cloud.stores.meta,
  { email: 'root@example.com', orgId: DEFAULT_ORG, role: 'admin', serviceAdmin: true, password: PASSWORD, publicUrl: 'http://x' },
  Date.now(),
);

t.test('a taken name or e-mail, an unknown gateway: the body field', async (t) => {
  const gw = await api(c.base, 'POST', '/v1/gateways', creds.admin, { name: creds.gateway.id });
  t.equal(gw.status, 409);
  t.same(gw.body.error.details, ['body.name: already taken']);

  const email = `cook-${uid().toLowerCase()}@example.com`;
  t.equal((await api(c.base, 'POST', '/v1/users', creds.admin, { email, role: 'viewer' })).status, 201);
  const user = await api(c.base, 'POST', '/v1/users', creds.admin, { email, role: 'viewer' });
  t.equal(user.status, 409);
  t.same(user.body.error.details, ['body.email: already taken']);

  const key = await api(c.base, 'POST', '/v1/keys', creds.admin, { role: 'viewer', owner: 'vic', gateway: 'no-such-gw' });
  t.equal(key.status, 404);
  t.same(key.body.error.details, ['body.gateway: no such gateway in the org']);

  const root = sessionClient(c.base);
  t.equal((await root.login('root@example.com', PASSWORD)).status, 200);
  const dup = await root.call('POST', '/v1/orgs', { name: 'details-co' });
  t.equal(dup.status, 409);
  t.same(dup.body.error.details, ['body.name: already taken']);
});

t.test("a role that does not allow the action: the caller's role", async (t) => {
  const notService = await api(c.base, 'POST', '/v1/orgs', creds.admin, { name: 'another-co' });
  t.equal(notService.status, 403);
  t.same(notService.body.error.details, ['principal.role: not a service admin']);
  const low = await api(c.base, 'GET', '/v1/keys', creds.operator);
  t.equal(low.status, 403);
  t.same(low.body.error.details, ['principal.role: operator < admin']);
});

t.test('a path that exists with another method: 405 with Allow, not 404', async (t) => {
  const ingest = await api(c.base, 'GET', '/v1/ingest', creds.admin);
  t.equal(ingest.status, 405);
  t.equal(ingest.headers.get('allow'), 'POST');
  t.same(ingest.body.error, {
    code: 'SV_ERR_METHOD_NOT_ALLOWED',
    message: 'GET is not a method of /v1/ingest',
    details: ['method: one of POST'],
  });
  const none = await api(c.base, 'PUT', '/v1/nothing-here', creds.admin);
  t.equal(none.status, 404);
  t.equal(none.body.error.code, 'SV_ERR_NOT_FOUND');
});
