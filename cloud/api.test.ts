import { gzipSync } from 'node:zlib';
import t from 'tap';
import { cookRecordId } from '../shared/relay/cook-id.js';
import { batch, commandResult, cook, event, T0, telemetry, telemetryBatch, uid } from './testing/fixtures.js';
import { pointsOf } from './testing/read-back.js';
import { api, credentials, startCloud, startServers, testConfig } from './testing/servers.js';

/** The query and control API on the production stores: auth, roles, 4xx with codes, cooks → downlink, audit, paging. */
const servers = await startServers(t);
const c = await startCloud(t, testConfig(t, servers, 'api', { 'http.bodyLimitBytes': 64 * 1024 }));
const creds = await credentials(c);
const ingest = (body: unknown, headers: Record<string, string> = {}) =>
  api(c.base, 'POST', '/v1/ingest', creds.gateway.token, body, headers);

const dev = uid('kit').toLowerCase();
await ingest(batch([telemetry(dev, 1, 0), telemetry(dev, 1, 30, { tempC: 60 }), telemetry(dev, 1, 90, { tempC: 50 })]));

t.test('authentication and roles', async (t) => {
  const none = await api(c.base, 'GET', '/v1/devices');
  t.equal(none.status, 401);
  t.equal(none.body.error.code, 'SV_ERR_UNAUTHORIZED');
  t.same(none.body.error.details, ['authorization: required']);
  const unknown = await api(c.base, 'GET', '/v1/devices', 'svk_not-a-real-key-at-all');
  t.equal(unknown.body.error.code, 'SV_ERR_UNAUTHORIZED', 'unknown key');
  t.same(unknown.body.error.details, ['authorization: invalid or revoked token'], 'a wrong key is not called missing');
  const asHeader = (authorization: string) => fetch(`${c.base}/v1/devices`, { headers: { authorization } });
  const basic = await asHeader('Basic dXNlcjpwYXNz');
  t.equal(basic.status, 401);
  t.same(((await basic.json()) as { error: { details: string[] } }).error.details, ['authorization: must be "Bearer <token>"']);
  t.equal((await asHeader(`bearer ${creds.viewer}`)).status, 200, 'the scheme name is not case-sensitive');
  t.equal((await asHeader(`BEARER  ${creds.viewer}`)).status, 200, 'nor the space after it counted');
  const twice = await fetch(`${c.base}/v1/devices/${dev}/cook`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${creds.operator}`, 'content-type': 'application/json' },
    body: '{"targetC":56,"durationMin":30,"targetC":85}',
  });
  t.equal(twice.status, 400, 'a body that repeats a key is refused');
  t.same(((await twice.json()) as { error: { details: string[] } }).error.details, ['body.targetC: appears more than once in one object']);
  t.equal((await api(c.base, 'GET', '/v1/devices', creds.gateway.token)).status, 401, 'a gateway token is not an API key');
  const badToken = await api(c.base, 'POST', '/v1/ingest', 'svg_wrong-token-000000', batch([]));
  t.equal(badToken.status, 401, 'bad gateway token');
  t.equal(badToken.body.error.code, 'SV_ERR_UNAUTHORIZED');
  t.equal((await api(c.base, 'POST', '/v1/ingest', creds.admin, batch([]))).status, 401, 'an API key is not a gateway token');
  const viewerPut = await api(c.base, 'PUT', `/v1/devices/${dev}/cook`, creds.viewer, { targetC: 56 });
  t.equal(viewerPut.status, 403, 'viewer cannot control');
  t.equal(viewerPut.body.error.code, 'SV_ERR_FORBIDDEN');
  t.equal((await api(c.base, 'GET', '/v1/keys', creds.operator)).status, 403, 'operator cannot list keys');
  t.equal((await api(c.base, 'GET', '/v1/audit', creds.viewer)).status, 403, 'viewer cannot read the audit log');
  t.equal((await api(c.base, 'GET', '/v1/devices', creds.viewer)).status, 200, 'viewer can read');
  t.equal((await api(c.base, 'GET', '/healthz')).status, 200, 'health needs no key');
  t.equal((await api(c.base, 'GET', '/metrics')).status, 401, 'metrics need a key');
  const metrics = await api(c.base, 'GET', '/metrics', creds.viewer);
  t.match(metrics.body, /influx_ok_total \d+/);
  t.match(metrics.body, /sink_duration_seconds_bucket\{.*sink="redis"/);
});

t.test('revoked gateway and key are refused', async (t) => {
  const add = await api(c.base, 'POST', '/v1/gateways', creds.admin, { name: uid('gw').toLowerCase() });
  t.equal(add.status, 201);
  t.equal((await api(c.base, 'POST', '/v1/ingest', add.body.token, batch([]))).status, 200);
  t.equal((await api(c.base, 'DELETE', `/v1/gateways/${add.body.id}`, creds.admin)).status, 204);
  t.equal((await api(c.base, 'POST', '/v1/ingest', add.body.token, batch([]))).status, 401, 'revoked token refused');
  const key = await api(c.base, 'POST', '/v1/keys', creds.admin, { role: 'viewer', owner: 'temp' });
  t.equal(key.status, 201);
  t.equal((await api(c.base, 'DELETE', `/v1/keys/${key.body.id}`, creds.admin)).status, 204);
  t.equal((await api(c.base, 'GET', '/v1/devices', key.body.key)).status, 401, 'revoked key refused');
  const audit = await api(c.base, 'GET', '/v1/audit?action=key.revoke', creds.admin);
  t.match(audit.body.items[0], { action: 'key.revoke', actor: { type: 'user', id: 'alice' } }, 'admin calls are audited with the owner');
});

t.test('malformed batches and bodies get a 4xx naming the field', async (t) => {
  const envelope = await ingest({ ...batch([]), v: 2, batchId: 'no spaces allowed' });
  t.equal(envelope.status, 400, 'a malformed envelope is refused whole');
  t.equal(envelope.body.error.code, 'SV_ERR_PAYLOAD_INVALID');
  t.match(envelope.body.error.details, [/^body\.v: /, /^body\.batchId: /]);
  const notArray = await ingest({ ...batch([]), records: 'x' });
  t.match(notArray.body.error.details, [/^body\.records: /]);
  const d2 = uid('kit').toLowerCase();
  const deadBefore = await c.cloud.stores.meta.countRows('dead_letters');
  const mixed = batch([telemetry(d2, 1, 1), telemetry(d2, 1, 2, { tempC: 500 }), { kind: 'gossip' } as never, event(d2)]);
  const res = await ingest(mixed);
  t.equal(res.status, 200, 'invalid records inside a well-formed batch do not hold back the valid ones');
  t.match(res.body, {
    accepted: 2,
    duplicates: 0,
    rejected: [
      { index: 1, reasons: [/^records\.1\.tempC: /] },
      { index: 2, reasons: [/^records\.2\.kind: /] },
    ],
  });
  t.equal((await pointsOf(c.cloud.stores, d2, 0, T0 + 100_000)).length, 1, 'the valid telemetry is stored');
  t.equal(await c.cloud.stores.meta.countRows('dead_letters'), deadBefore + 2, 'the invalid ones are dead-lettered');
  await ingest(mixed);
  t.equal(await c.cloud.stores.meta.countRows('dead_letters'), deadBefore + 2, 'once, also when the batch is replayed');
  const dead = await api(c.base, 'GET', '/v1/dead-letters?limit=1', creds.admin);
  t.match(dead.body.items, [{ gatewayId: creds.gateway.id, batchId: mixed.batchId, index: 2, reasons: [/^records\.2\.kind: /] }]);
  const next = await api(c.base, 'GET', `/v1/dead-letters?limit=1&cursor=${dead.body.nextCursor}`, creds.admin);
  t.match(next.body.items, [{ index: 1 }], 'paged by cursor');
  t.equal((await api(c.base, 'GET', '/v1/dead-letters', creds.operator)).status, 403);
  const unknown = await ingest({ ...batch([]), extra: 1 });
  t.match(unknown.body.error.details, ['body.extra: unknown field']);
  const notJson = await api(c.base, 'POST', '/v1/ingest', creds.gateway.token, '{"v":1,', { 'content-type': 'application/json' });
  t.equal(notJson.status, 400);
  t.equal(notJson.body.error.code, 'SV_ERR_PAYLOAD_NOT_JSON');
  const big = await ingest(telemetryBatch('big', 10, 1000));
  t.equal(big.status, 413, 'oversized body');
  t.equal(big.body.error.code, 'SV_ERR_BODY_TOO_LARGE');
  const bomb = await api(c.base, 'POST', '/v1/ingest', creds.gateway.token, gzipSync(JSON.stringify(telemetryBatch('bomb', 10, 1000))), {
    'content-type': 'application/json',
    'content-encoding': 'gzip',
  });
  t.equal(bomb.status, 413, 'the limit applies to the decoded size of a gzip body');
  const small = batch([telemetry(dev, 1, 2)]);
  const gz = await api(c.base, 'POST', '/v1/ingest', creds.gateway.token, gzipSync(JSON.stringify(small)), {
    'content-type': 'application/json',
    'content-encoding': 'gzip',
  });
  t.equal(gz.status, 200, 'a gzip batch is accepted');
  const cookBad = await api(c.base, 'PUT', `/v1/devices/${dev}/cook`, creds.operator, { targetC: 200 });
  t.equal(cookBad.status, 400);
  t.match(cookBad.body.error.details[0], /^body\.targetC: /);
  const lowTemp = await api(c.base, 'PUT', `/v1/devices/${dev}/cook`, creds.operator, { targetC: 50 });
  t.match(lowTemp.body.error.details, [/^body\.lowTempOverride: /], 'FDA low-temperature rule');
  const limit = await api(c.base, 'GET', '/v1/events?limit=0', creds.viewer);
  t.match(limit.body.error, { code: 'SV_ERR_VALIDATION', details: [/^query\.limit: /] });
  const cursor = await api(c.base, 'GET', '/v1/events?cursor=zzz!!', creds.viewer);
  t.match(cursor.body.error.details, [/^query\.cursor: /]);
  t.equal((await api(c.base, 'GET', '/v1/nothing', creds.viewer)).body.error.code, 'SV_ERR_NOT_FOUND');
  t.equal((await api(c.base, 'GET', '/v1/devices/kit-unknown-1', creds.viewer)).status, 404);
});

t.test('InfluxQL and SQL metacharacters in ids and query parameters are inert', async (t) => {
  const evil = ["kit'; DROP MEASUREMENT telemetry; --", 'kit" OR 1=1', 'kit\\', "x' OR '1'='1"];
  for (const id of evil) {
    const res = await api(c.base, 'GET', `/v1/devices/${encodeURIComponent(id)}/telemetry`, creds.viewer);
    t.equal(res.status, 400, `device id ${JSON.stringify(id)} refused`);
    t.match(res.body.error.details, [/^params\.id: /]);
  }
  const every = await api(c.base, 'GET', `/v1/devices/${dev}/telemetry?every=${encodeURIComponent('1m) ; DROP DATABASE x')}`, creds.viewer);
  t.match(every.body.error.details, [/^query\.every: /]);
  for (const q of ['from=', 'from=1e3', 'to=%207', 'limit=']) {
    const path = q.startsWith('limit') ? `/v1/events?${q}` : `/v1/devices/${dev}/telemetry?${q}`;
    const res = await api(c.base, 'GET', path, creds.viewer);
    t.equal(res.status, 400, `${q} refused (not read as a number)`);
    t.match(res.body.error.details, [new RegExp(`^query\\.${q.split('=')[0]}: `)]);
  }
  const typ = "x' OR '1'='1";
  const stored = await ingest(batch([event(dev, { type: typ, data: { note: "'; DROP TABLE events; --" } })]));
  t.equal(stored.status, 200, 'a quote in a stored field is just data');
  const filtered = await api(c.base, 'GET', `/v1/events?type=${encodeURIComponent(typ)}`, creds.viewer);
  t.equal(filtered.body.items.length, 1, 'the filter matches the literal value only');
  t.equal(filtered.body.items[0].data.note, "'; DROP TABLE events; --");
  const none = await api(c.base, 'GET', `/v1/events?gateway=${encodeURIComponent("' OR 1=1 --")}`, creds.viewer);
  t.match(none.body.error, { code: 'SV_ERR_VALIDATION', details: [/^query\.gateway: /] }, 'a gateway filter must be a gateway id');
  const hist = await api(c.base, 'GET', `/v1/devices/${dev}/telemetry?from=${T0 - 60_000}&to=${T0 + 180_000}&every=1m`, creds.viewer);
  t.equal(hist.status, 200, 'the telemetry measurement is still there');
  t.ok(hist.body.buckets.length > 0);
});

t.test('telemetry history is downsampled per bucket', async (t) => {
  const d = uid('kit').toLowerCase();
  await ingest(batch([telemetry(d, 1, 0), telemetry(d, 1, 30, { tempC: 60 }), telemetry(d, 1, 90, { tempC: 50 })]));
  const res = await api(c.base, 'GET', `/v1/devices/${d}/telemetry?from=${T0}&to=${T0 + 180_000}&every=1m`, creds.viewer);
  t.equal(res.status, 200);
  const first = res.body.buckets.find((b: { ts: number }) => b.ts === T0);
  t.match(first, { count: 2, min: 55, max: 60 }, 'bucket 0: seq 0 (55.0) and seq 30 (60)');
  t.equal(first.mean, 57.5);
  t.match(
    res.body.buckets.find((b: { ts: number }) => b.ts === T0 + 60_000),
    { count: 1, mean: 50 },
  );
});

t.test("history buckets carry the heater's on-share and the cook's target steps", async (t) => {
  // A gateway of its own: the cook it reports becomes desired state that other tests' gateway must not see.
  const own = await credentials(c);
  const d = uid('kit').toLowerCase();
  const ck = uid('ck');
  const rec = (version: number, state: 'heating' | 'stopped', updatedTs: number) => ({
    ...cook(d, version),
    id: cookRecordId(ck, version, state),
    state,
    spec: { targetC: 58 },
    startedTs: T0 + 30_000,
    updatedTs,
  });
  await api(
    c.base,
    'POST',
    '/v1/ingest',
    own.gateway.token,
    batch([
      telemetry(d, 1, 0, { heater: false }),
      telemetry(d, 1, 30, { heater: true }),
      telemetry(d, 1, 40, { heater: true }),
      telemetry(d, 1, 50, { heater: false }),
      telemetry(d, 1, 90, { heater: true }),
      telemetry(d, 1, 130, { heater: false }),
      rec(1, 'heating', T0 + 30_000),
      rec(2, 'stopped', T0 + 100_000),
    ]),
  );
  const res = await api(c.base, 'GET', `/v1/devices/${d}/telemetry?from=${T0}&to=${T0 + 180_000}&every=1m`, creds.viewer);
  t.equal(res.status, 200);
  t.same(
    res.body.buckets.map((b: { ts: number; heaterOn: number; targetC: number | null }) => [b.ts - T0, b.heaterOn, b.targetC]),
    [
      [0, 0.5, 58],
      [60_000, 1, null],
      [120_000, 0, null],
    ],
    'on-share per bucket (2 of 4, 1 of 1, 0 of 1); the target from the cook start, none after its stop',
  );
});

t.test('a cook set in the cloud reaches the gateway in the ingest reply, versioned, and is audited', async (t) => {
  const put = await api(c.base, 'PUT', `/v1/devices/${dev}/cook`, creds.operator, { targetC: 57, durationMin: 90, reason: 'dinner' });
  t.equal(put.status, 200);
  const version = put.body.desiredCook.version;
  t.match(put.body, { id: dev, desiredCook: { spec: { targetC: 57, durationMin: 90 } } }, 'the answer is the device');
  t.ok(version > 0);
  const reply = await ingest(batch([], 0));
  t.match(reply.body.desired, { version, devices: [{ deviceId: dev, cook: { version, spec: { targetC: 57, durationMin: 90 } } }] });
  t.equal((await ingest(batch([], version))).body.desired, null, 'nothing newer: no desired state');
  const del = await api(c.base, 'DELETE', `/v1/devices/${dev}/cook`, creds.operator);
  t.equal(del.status, 200);
  const after = await ingest(batch([], version));
  t.match(
    after.body.desired,
    { version: del.body.desiredCook.version, devices: [{ deviceId: dev, cook: null }] },
    'a stop is sent as cook: null',
  );
  const device = await api(c.base, 'GET', `/v1/devices/${dev}`, creds.viewer);
  t.match(device.body, { id: dev, gatewayId: creds.gateway.id, desiredCook: { spec: null }, state: { seq: 90 } });
  const audit = await api(c.base, 'GET', `/v1/audit?device=${dev}`, creds.operator);
  t.match(
    audit.body.items.map((a: { action: string; actor: unknown; reason: string }) => [a.action, a.actor, a.reason]),
    [
      ['cook.stop', { type: 'user', id: 'oscar' }, String],
      ['cook.set', { type: 'user', id: 'oscar' }, 'dinner'],
    ],
  );
  t.equal((await api(c.base, 'PUT', '/v1/devices/kit-nobody-0/cook', creds.operator, { targetC: 60 })).status, 404);
  await ingest(batch([{ ...cook(dev, 5), state: 'holding' }, commandResult(dev)]));
  const reported = await api(c.base, 'GET', `/v1/devices/${dev}`, creds.viewer);
  t.match(reported.body.cook, { deviceId: dev, version: 5, state: 'holding' }, 'the cook the gateway reports');
  const cmds = await api(c.base, 'GET', `/v1/devices/${dev}/commands`, creds.viewer);
  t.match(cmds.body.items, [{ op: 'press', outcome: 'acked' }]);
});

t.test('cursor pagination walks every item once, newest first', async (t) => {
  const d2 = uid('kit').toLowerCase();
  await ingest(batch([0, 1, 2, 3, 4].map((i) => event(d2, { ts: T0 + i * 1000 }))));
  const seen: number[] = [];
  let cursor: string | null = null;
  do {
    const q: string = `/v1/events?device=${d2}&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
    const res = await api(c.base, 'GET', q, creds.viewer);
    seen.push(...res.body.items.map((e: { ts: number }) => e.ts - T0));
    cursor = res.body.nextCursor;
  } while (cursor);
  t.same(seen, [4000, 3000, 2000, 1000, 0]);
  const gws = await api(c.base, 'GET', '/v1/gateways?limit=1', creds.viewer);
  t.equal(gws.body.items.length, 1);
  t.type(gws.body.nextCursor, 'string');
});

t.test('OpenAPI document and docs page', async (t) => {
  const doc = await api(c.base, 'GET', '/openapi.json');
  t.equal(doc.status, 200);
  for (const p of [
    '/v1/ingest',
    '/v1/devices',
    '/v1/devices/{id}',
    '/v1/devices/{id}/telemetry',
    '/v1/devices/{id}/cook',
    '/v1/events',
    '/v1/audit',
    '/v1/gateways',
  ]) {
    t.ok(doc.body.paths[p], `documents ${p}`);
  }
  const page = await fetch(`${c.base}/docs`);
  t.match(await page.text(), /openapi\.json/);
});
