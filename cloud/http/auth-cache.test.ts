import t from 'tap';
import { createApiKey, createGateway, rotateGatewayToken } from '../admin.js';
import { SqlMetaStore } from '../stores/sql/meta-store.js';
import { SqliteDriver } from '../stores/sqlite/sqlite-driver.js';
import { DEFAULT_ORG, type MetaStore } from '../stores/types.js';
import { batch, registry, telemetry, uid } from '../testing/fixtures.js';
import { api, credentials, startCloud, tenant, testConfig } from '../testing/servers.js';
import { Authenticator } from './auth.js';
import { MemoryFailureWindow } from './failures.js';

/**
 * The caches of verified credentials and device owners (auth.cacheTtlMs) are shared by every org
 * on an instance. A revoke or a move takes effect at once for what it names, and costs the other
 * entries nothing: they are not asked of the meta store again.
 */

/** Counts calls to the real meta store's lookups (the store itself answers). */
function countCalls(meta: MetaStore, name: 'apiKeyByHash' | 'gatewayByTokenHash' | 'resolveDevices') {
  const counter = { calls: 0 };
  const original = meta[name].bind(meta) as (...args: unknown[]) => unknown;
  (meta as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
    counter.calls++;
    return original(...args);
  };
  return counter;
}

t.test("a revoked key or gateway is refused at once; other orgs' cached credentials stay cached", async (t) => {
  const c = await startCloud(t, testConfig(t, undefined, 'authcache', { 'auth.cacheTtlMs': 300_000 }));
  const meta = c.cloud.stores.meta;
  const a = await credentials(c);
  const b = await tenant(c);
  const aKey = await createApiKey(meta, { role: 'viewer', owner: 'ann', orgId: a.orgId }, Date.now());
  const aGw = await createGateway(meta, uid('gw').toLowerCase(), a.orgId, Date.now());
  for (const key of [aKey.key, b.viewer, a.admin]) t.equal((await api(c.base, 'GET', '/v1/devices', key)).status, 200);
  for (const token of [aGw.token, b.gateway.token]) t.equal((await api(c.base, 'POST', '/v1/ingest', token, batch([]))).status, 200);
  const keyLookups = countCalls(meta, 'apiKeyByHash');
  const tokenLookups = countCalls(meta, 'gatewayByTokenHash');

  t.equal((await api(c.base, 'DELETE', `/v1/keys/${aKey.id}`, a.admin)).status, 204);
  t.equal((await api(c.base, 'GET', '/v1/devices', aKey.key)).status, 401, 'the revoked key, cached a moment ago, is refused');
  t.equal((await api(c.base, 'DELETE', `/v1/gateways/${aGw.id}`, a.admin)).status, 204);
  t.equal((await api(c.base, 'POST', '/v1/ingest', aGw.token, batch([]))).status, 401, 'the revoked gateway too');
  const [keysAfterRevokes, tokensAfterRevokes] = [keyLookups.calls, tokenLookups.calls];

  t.equal((await api(c.base, 'GET', '/v1/devices', b.viewer)).status, 200);
  t.equal((await api(c.base, 'POST', '/v1/ingest', b.gateway.token, batch([]))).status, 200);
  t.equal((await api(c.base, 'GET', '/v1/devices', a.admin)).status, 200);
  t.same(
    [keyLookups.calls - keysAfterRevokes, tokenLookups.calls - tokensAfterRevokes],
    [0, 0],
    "org B's key and token, and org A's other key, were answered from the cache",
  );
});

t.test("a moved kit is asked about again at once; the gateway's other kits stay cached", async (t) => {
  const c = await startCloud(t, testConfig(t, undefined, 'ownercache', { 'auth.cacheTtlMs': 300_000 }));
  const meta = c.cloud.stores.meta;
  const a = await credentials(c);
  const other = await createGateway(meta, uid('gw').toLowerCase(), a.orgId, Date.now());
  const first = await api(
    c.base,
    'POST',
    '/v1/ingest',
    a.gateway.token,
    batch([registry(['kit-1', 'kit-2']), telemetry('kit-1', 1, 1), telemetry('kit-2', 1, 1)]),
  );
  t.equal(first.status, 200);
  t.equal(
    (await api(c.base, 'POST', '/v1/ingest', a.gateway.token, batch([telemetry('kit-1', 1, 2), telemetry('kit-2', 1, 2)]))).status,
    200,
  );
  const lookups = countCalls(meta, 'resolveDevices');
  const moved = await api(c.base, 'POST', `/v1/devices/kit-1/move`, a.admin, { gateway: other.id });
  t.equal(moved.status, 200, JSON.stringify(moved.body));

  const k2 = await api(c.base, 'POST', '/v1/ingest', a.gateway.token, batch([telemetry('kit-2', 1, 3)]));
  t.equal(k2.status, 200);
  t.equal(lookups.calls, 0, 'k2, not moved, is still known to be the gateway’s');
  // A reading taken after the move (one stamped before it is still the old gateway's to deliver, ADR 082).
  const after = Date.now() + 1000;
  const k1 = await api(c.base, 'POST', '/v1/ingest', a.gateway.token, batch([telemetry('kit-1', 1, 3, { ts: after, rxTs: after })]));
  t.equal(k1.status, 200);
  t.equal(lookups.calls, 1, 'k1 is asked about again');
  t.match(k1.body, { rejected: [{ index: 0, reasons: [/belongs to another gateway/] }] }, "and refused: it is the other gateway's now");
});

t.test('a lookup on its way when the token is rotated away does not cache the old token after the forget', async (t) => {
  const meta = new SqlMetaStore(new SqliteDriver(':memory:'));
  await meta.open();
  await meta.migrate();
  t.teardown(() => meta.close());
  const gw = await createGateway(meta, uid('gw').toLowerCase(), DEFAULT_ORG, Date.now());
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  let delayNext = true;
  // The real store answers; its answer (read before the rotation) arrives after it.
  const slow = Object.create(meta) as MetaStore;
  slow.gatewayByTokenHash = async (h: string) => {
    const row = await meta.gatewayByTokenHash(h);
    if (delayNext) {
      delayNext = false;
      await gate;
    }
    return row;
  };
  const auth = new Authenticator(slow, 300_000, {
    failures: new MemoryFailureWindow(60_000, 100),
    perAddress: 100,
    perAccount: 100,
    windowMs: 60_000,
    onLockout: async () => {},
    now: Date.now,
  });
  const inflight = auth.verify('gateway', `Bearer ${gw.token}`);
  await new Promise((r) => setTimeout(r, 20));
  t.ok(await rotateGatewayToken(meta, { orgId: DEFAULT_ORG }, gw.id, Date.now(), 0), 'rotated with no grace');
  auth.forget({ kind: 'gateway', id: gw.id });
  release();
  t.match(await inflight, { id: gw.id }, 'the request that began before the rotation is let through');
  await t.rejects(auth.verify('gateway', `Bearer ${gw.token}`), { code: 'SV_ERR_UNAUTHORIZED' }, 'the old token is refused next');
});
