import t from 'tap';
import { openSse } from '../../shared/stream/sse-client.js';
import { createApiKey } from '../admin.js';
import { createUser } from '../auth/users.js';
import { sessionClient } from '../testing/browserless.js';
import { uid } from '../testing/fixtures.js';
import { api, startCloud, tenant, testConfig } from '../testing/servers.js';

/**
 * An open live stream ends when what opened it no longer may: its API key revoked (here, straight
 * on the store, as the CLI or another instance would, so nothing on this instance is told) or its
 * session's user removed. A stream whose key still stands stays open.
 */
const c = await startCloud(t, testConfig(t, undefined, 'stream-revoke', { 'stream.recheckMs': 200 }));
const meta = c.cloud.stores.meta;
const A = await tenant(c);

t.test('a revoked key and a removed user lose their open streams; others keep theirs', async (t) => {
  const doomed = await createApiKey(meta, { role: 'viewer', owner: 'script', orgId: A.orgId }, Date.now());
  const byKey = openSse(`${c.base}/v1/stream`, { authorization: `Bearer ${doomed.key}` });
  const steady = openSse(`${c.base}/v1/stream`, { authorization: `Bearer ${A.viewer}` });
  const email = `${uid('u')}@example.com`;
  const password = `${uid('pw')} is the passphrase`;
  const user = await createUser(meta, { email, orgId: A.orgId, role: 'viewer', password, publicUrl: c.base }, Date.now());
  const session = sessionClient(c.base);
  t.equal((await session.login(email, password)).status, 200);
  const bySession = openSse(`${c.base}/v1/stream`, { cookie: session.cookie });
  t.teardown(() => {
    for (const s of [byKey, steady, bySession]) s.close();
  });
  t.same(await Promise.all([byKey.status, steady.status, bySession.status]), [200, 200, 200], 'all three open');

  t.ok(await meta.revokeApiKey({ orgId: A.orgId }, doomed.id, Date.now()), 'the key is revoked on the store alone');
  const removed = await api(c.base, 'DELETE', `/v1/users/${user.id}`, A.admin);
  t.equal(removed.status, 204, 'the user is removed');
  const ended = await Promise.race([
    Promise.all([byKey.closed, bySession.closed]).then(() => true),
    new Promise<boolean>((r) => setTimeout(() => r(false), 5_000)),
  ]);
  t.ok(ended, 'both streams end within a few checks');
  let steadyClosed = false;
  void steady.closed.then(() => {
    steadyClosed = true;
  });
  await new Promise((r) => setTimeout(r, 600));
  t.notOk(steadyClosed, 'the stream of a key that still stands stays open');
});
