import t from 'tap';
import { DEFAULT_SCOPE } from './stores/types.js';
import { batch } from './testing/fixtures.js';
import { api, credentials, type RunningCloud, startCloud, startServers, testConfig } from './testing/servers.js';

/**
 * Failed-authentication throttling through HTTP (Redis-shared on the production stores): a correct
 * credential is never refused, the window slides, the forwarded address counts only behind a
 * trusted proxy, lockouts are audited, and instances share the count.
 */
const servers = await startServers(t);
const WRONG = 'svk_wrong-key-0000000000000000';

async function fail(c: RunningCloud, n: number, headers: Record<string, string> = {}) {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) statuses.push((await api(c.base, 'GET', '/v1/devices', `${WRONG}${i}`, undefined, headers)).status);
  return statuses;
}
function tally(statuses: number[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const s of statuses) out[s] = (out[s] ?? 0) + 1;
  return out;
}

t.test('200 failures from one address do not stop a valid key or gateway token from it', async (t) => {
  const c = await startCloud(t, testConfig(t, servers, 'thr-valid'));
  const creds = await credentials(c);
  t.same(tally(await fail(c, 200)), { 401: 120, 429: 80 }, 'guesses past the limit get 429');
  t.equal((await api(c.base, 'GET', '/v1/devices', creds.viewer)).status, 200, 'the valid key from the banned address works');
  t.equal((await api(c.base, 'POST', '/v1/ingest', creds.gateway.token, batch([]))).status, 200, 'and the gateway token too');
  const wrong = await api(c.base, 'GET', '/v1/devices', WRONG);
  t.equal(wrong.status, 429);
  t.equal(wrong.body.error.code, 'SV_ERR_AUTH_BANNED');
  const lockouts = await c.cloud.stores.meta.listAudit(DEFAULT_SCOPE, { action: 'auth.lockout' }, { limit: 10 });
  t.equal(lockouts.items.length, 1, 'the lockout is audited once');
  t.match(lockouts.items[0], { actor: { type: 'system' }, data: { scope: 'address', address: '127.0.0.1' } });
});

t.test('the window slides: a burst across a minute boundary is one burst', async (t) => {
  let clock = Date.UTC(2026, 0, 1, 12, 0, 59, 0);
  const c = await startCloud(t, testConfig(t, servers, 'thr-slide'), { now: () => clock });
  t.same(tally(await fail(c, 100)), { 401: 100 }, '100 failures at 12:00:59');
  clock = Date.UTC(2026, 0, 1, 12, 1, 0, 500);
  t.same(
    tally(await fail(c, 49)),
    { 401: 20, 429: 29 },
    'at 12:01:00.5 only 20 more are answered 401 (a per-minute count would allow 120)',
  );
  clock = Date.UTC(2026, 0, 1, 12, 1, 59, 500);
  t.same(tally(await fail(c, 1)), { 401: 1 }, 'once the first burst slid out of the window, failures are counted afresh');
});

t.test('trustProxy: the limit applies to the forwarded address, only behind a configured proxy', async (t) => {
  const proxied = await startCloud(t, testConfig(t, servers, 'thr-proxy', { 'http.trustProxy': ['127.0.0.1/32'] }));
  const xff = (ip: string) => ({ 'x-forwarded-for': ip });
  t.same(tally(await fail(proxied, 121, xff('203.0.113.7'))), { 401: 120, 429: 1 }, 'one client behind the load balancer is banned');
  t.same(tally(await fail(proxied, 3, xff('203.0.113.8'))), { 401: 3 }, 'another client behind the same load balancer is not');
  t.same(tally(await fail(proxied, 2)), { 401: 2 }, 'nor the load balancer itself');

  const direct = await startCloud(t, testConfig(t, servers, 'thr-direct'));
  const spoofed: number[] = [];
  for (let i = 0; i < 121; i++) spoofed.push(...(await fail(direct, 1, xff(`198.51.100.${i}`))));
  t.same(tally(spoofed), { 401: 120, 429: 1 }, 'without trustProxy a forged X-Forwarded-For does not spread the count');
  let problem: unknown;
  try {
    testConfig(t, undefined, 'bad', { 'http.trustProxy': ['10.0.0.0/33'] });
  } catch (err) {
    problem = err;
  }
  t.match(
    problem,
    { code: 'SV_ERR_CONFIG_INVALID', details: [/^http\.trustProxy\.0: must be an IP address or CIDR/] },
    'a bad CIDR names the key',
  );
});

t.test('instances share the count through Redis', async (t) => {
  const a = await startCloud(t, testConfig(t, servers, 'thr-shared'));
  const b = await startCloud(t, { ...a.config, port: 0 });
  t.same(tally(await fail(a, 70)), { 401: 70 });
  t.same(tally(await fail(b, 51)), { 401: 50, 429: 1 }, "the second instance counts the first one's failures");
});

t.test('every answer says nosniff', async (t) => {
  const c = await startCloud(t, testConfig(t, undefined, 'thr-headers'));
  for (const path of ['/healthz', '/v1/devices', '/nope', '/openapi.json']) {
    t.equal((await api(c.base, 'GET', path)).headers.get('x-content-type-options'), 'nosniff', path);
  }
});
