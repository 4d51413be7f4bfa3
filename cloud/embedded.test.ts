import t from 'tap';
import { batch, event, telemetry, uid } from './testing/fixtures.js';
import { pointsOf } from './testing/read-back.js';
import { api, credentials, startCloud, testConfig } from './testing/servers.js';

/** The whole service on the embedded back-end (no URLs configured): ingest, query, control, rate limits. */
const c = await startCloud(
  t,
  testConfig(t, undefined, 'emb', {
    'rateLimit.keyPerMin': 8,
    'rateLimit.gatewayPerMin': 5,
    'rateLimit.anonPerMin': 4,
    'auth.failuresPerAddress': 4,
  }),
);
const creds = await credentials(c);

t.test('no store URLs: every role is the embedded SQLite store', async (t) => {
  const ready = await api(c.base, 'GET', '/readyz');
  t.equal(ready.status, 200);
  t.same(
    ready.body.checks.map((x: { role: string; backend: string; ok: boolean }) => [x.role, x.backend, x.ok]),
    [
      ['telemetry', 'sqlite', true],
      ['state', 'sqlite', true],
      ['meta', 'sqlite', true],
    ],
  );
  t.type(ready.body.checks[0].latencyMs, 'number', 'each dependency with its latency');
});

t.test('ingest twice, query, cook downlink', async (t) => {
  const dev = uid('kit').toLowerCase();
  const body = batch([telemetry(dev, 1, 1), telemetry(dev, 1, 2), event(dev)]);
  const post = () => api(c.base, 'POST', '/v1/ingest', creds.gateway.token, body);
  t.equal((await post()).status, 200);
  t.match((await post()).body, { ok: true, duplicates: 1 });
  t.equal((await pointsOf(c.cloud.stores, dev, 0, Number.MAX_SAFE_INTEGER)).length, 2);
  const d = await api(c.base, 'GET', `/v1/devices/${dev}`, creds.viewer);
  t.match(d.body, { id: dev, state: { boot: 1, seq: 2 } });
  const put = await api(c.base, 'PUT', `/v1/devices/${dev}/cook`, creds.operator, { targetC: 58 });
  t.equal(put.status, 200);
  const reply = await api(c.base, 'POST', '/v1/ingest', creds.gateway.token, batch([]));
  t.match(reply.body.desired.devices, [{ deviceId: dev, cook: { spec: { targetC: 58 } } }]);
});

t.test('rate limits per API key and per gateway', async (t) => {
  const codes: number[] = [];
  for (let i = 0; i < 10; i++) codes.push((await api(c.base, 'GET', '/v1/gateways', creds.admin)).status);
  t.ok(codes.includes(429), 'the key is limited');
  const limited = await api(c.base, 'GET', '/v1/gateways', creds.admin);
  t.equal(limited.body.error.code, 'SV_ERR_RATE_LIMITED');
  t.equal((await api(c.base, 'GET', '/v1/gateways', creds.viewer)).status, 200, 'another key has its own budget');
  const gw: number[] = [];
  for (let i = 0; i < 8; i++) gw.push((await api(c.base, 'POST', '/v1/ingest', creds.gateway.token, batch([]))).status);
  t.ok(gw.includes(429), 'the gateway is limited');
  t.equal((await api(c.base, 'GET', '/healthz')).status, 200, 'health checks are not limited');
  const guesses: number[] = [];
  for (let i = 0; i < 6; i++) guesses.push((await api(c.base, 'GET', '/v1/devices', `svk_guess-${i}-0000000000`)).status);
  t.same(guesses, [401, 401, 401, 401, 429, 429], 'failed authentications are limited per address');
  t.equal((await api(c.base, 'GET', '/v1/devices', `svk_guess-x-0000000000`)).body.error.code, 'SV_ERR_AUTH_BANNED');
});
