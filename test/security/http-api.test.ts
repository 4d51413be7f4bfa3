import { join } from 'node:path';
import { Redis } from 'ioredis';
import t from 'tap';
import { DEFAULT_SCOPE } from '../../cloud/stores/types.js';
import { batch, event, T0, telemetry } from '../../cloud/testing/fixtures.js';
import { pointsOf } from '../../cloud/testing/read-back.js';
import { api, credentials, startCloud, startServers, testConfig } from '../../cloud/testing/servers.js';
import { issueOperatorToken } from '../../gateway/http/operator-token.js';
import { startGateway } from '../../gateway/testing/fixture.js';
import { fill, key, type Route, routesOf } from './routes.js';

/**
 * The HTTP surfaces (cloud API, gateway local API) against real servers: every route is read from
 * the Fastify instance, so a new route is checked without editing this file. A route that is not
 * in PUBLIC must refuse anonymous calls; the role table must classify every other route (a new
 * route fails here until it is given one); bodies over the limit get 413; hostile ids, query
 * values and body fields get a clean 4xx naming the field (never a 500) and change no store.
 */
const servers = await startServers(t);
const config = testConfig(t, servers, 'sec_http', {
  'http.bodyLimitBytes': 64 * 1024,
  'rateLimit.keyPerMin': 1_000_000, // this file makes thousands of calls with one key
  'rateLimit.anonPerMin': 1_000_000, // and hundreds of refused ones from one address
  'auth.failuresPerAddress': 1_000_000,
  // The store snapshots compare Redis keys: the gateway's heartbeat must not expire during a slow run.
  'ingest.heartbeatTtlS': 3600,
});
const c = await startCloud(t, config);
const creds = await credentials(c);
const canary = 'kit-canary';
await api(
  c.base,
  'POST',
  '/v1/ingest',
  creds.gateway.token,
  batch([telemetry(canary, 1, 0), telemetry(canary, 1, 1), event(canary, { type: 'reached' })]),
);

const gw = await startGateway(t, {
  'cloud.url': c.base,
  'cloud.token': creds.gateway.token,
  'relay.idleSyncMs': 60_000,
  'http.authFailuresPerMin': 100_000,
}); // auth, not throttling, is under test here
const operatorToken = issueOperatorToken(join(gw.dataDir, 'operator-token.sha256'));
await gw.addKit('kit-local');
const gwBase = `http://127.0.0.1:${gw.httpPort}`;

const CLOUD_PUBLIC = new Set([
  'GET /',
  'GET /healthz',
  'GET /readyz',
  'GET /openapi.json',
  'GET /docs',
  'GET /dashboard',
  'GET /dashboard/',
  'GET /dashboard/env.json',
  'GET /dashboard/:file',
  // Logging in and accepting an invitation take their own credential (a password, the link's token) in the body.
  'POST /v1/auth/login',
  'POST /v1/auth/invite',
]);
// The gateway's /metrics is public on purpose: the local API binds to 127.0.0.1 by default and the
// metrics carry counters by reason, no ids or secrets (docs/security.md).
const GATEWAY_PUBLIC = new Set([
  'GET /',
  'GET /healthz',
  'GET /metrics',
  'GET /openapi.json',
  'GET /docs',
  'GET /dashboard',
  'GET /dashboard/',
  'GET /dashboard/env.json',
  'GET /dashboard/:file',
]);

/** `session`: a user's session only (keys get 401 or 403); `service`: a service admin's session (cloud/session.test.ts). */
type Need = 'gateway' | 'viewer' | 'operator' | 'admin' | 'session' | 'service';
const CLOUD_ROLES: Record<string, Need> = {
  'POST /v1/ingest': 'gateway',
  'GET /metrics': 'viewer',
  'GET /v1/gateways': 'viewer',
  'POST /v1/gateways': 'admin',
  'DELETE /v1/gateways/:id': 'admin',
  'POST /v1/gateways/:id/token': 'admin',
  'GET /v1/devices': 'viewer',
  'GET /v1/devices/:id': 'viewer',
  'GET /v1/devices/:id/telemetry': 'viewer',
  'GET /v1/devices/:id/commands': 'viewer',
  'PUT /v1/devices/:id/cook': 'operator',
  'GET /v1/presets': 'viewer',
  'PUT /v1/presets/:name': 'operator',
  'DELETE /v1/presets/:name': 'operator',
  'PUT /v1/devices/:id/cook/preset/:name': 'operator',
  'DELETE /v1/devices/:id/cook': 'operator',
  'GET /v1/dead-letters': 'admin',
  'GET /v1/events': 'viewer',
  'GET /v1/alarms': 'viewer',
  'POST /v1/alarms/:id/ack': 'operator',
  'GET /v1/audit': 'operator',
  'GET /v1/keys': 'admin',
  'POST /v1/keys': 'admin',
  'DELETE /v1/keys/:id': 'admin',
  'GET /v1/cooks': 'viewer',
  'GET /v1/cooks/:id': 'viewer',
  'GET /v1/devices/:id/readings.csv': 'viewer',
  'POST /v1/devices/:id/move': 'admin',
  'GET /v1/users': 'admin',
  'POST /v1/users': 'admin',
  'DELETE /v1/users/:id': 'admin',
  'PATCH /v1/users/:id': 'admin',
  'POST /v1/auth/logout': 'session',
  'GET /v1/auth/session': 'session',
  'POST /v1/auth/password': 'session',
  'GET /v1/orgs': 'service',
  'POST /v1/orgs': 'service',
  'GET /v1/notifications': 'viewer',
  'GET /v1/stream': 'viewer',
  'GET /v1/notifications/channels': 'admin',
  'POST /v1/notifications/channels': 'admin',
  'DELETE /v1/notifications/channels/:id': 'admin',
  'POST /v1/notifications/test': 'admin',
};
const RANK: Record<Need, number> = { gateway: 0, viewer: 1, operator: 2, admin: 3, session: 4, service: 5 };
const byKey = (need: Need) => need !== 'session' && need !== 'service';
const cloudCred: Record<Need, string> = {
  gateway: creds.gateway.token,
  viewer: creds.viewer,
  operator: creds.operator,
  admin: creds.admin,
  session: creds.admin, // refused: only a session will do
  service: creds.admin,
};

const cloudRoutes = routesOf(c.cloud.http);
const gwRoutes = routesOf(gw.gateway.http);
const cloudPrivate = cloudRoutes.filter((r) => !CLOUD_PUBLIC.has(key(r)));
const gwPrivate = gwRoutes.filter((r) => !GATEWAY_PUBLIC.has(key(r)));
const validId = (r: Route) =>
  r.path.startsWith('/v1/keys')
    ? 'key-000000000000'
    : r.path.startsWith('/v1/gateways')
      ? 'gw-nobody'
      : r.path.startsWith('/v1/notifications')
        ? 'nch-000000000000'
        : canary;
const hasBody = (r: Route) => r.method === 'POST' || r.method === 'PUT' || r.method === 'PATCH';

const gwCall = (method: string, path: string, token?: string, body?: unknown) => api(gwBase, method, path, token, body);

/** Row counts of every store the calls could touch (cloud MySQL, Redis, InfluxDB; gateway SQLite). */
async function snapshot() {
  const meta = c.cloud.stores.meta;
  const tables = ['events', 'audit', 'command_results', 'cooks', 'devices', 'dead_letters'] as const;
  const redis = new Redis(servers.redis.url, { lazyConnect: true });
  await redis.connect();
  // Keys that expire on their own (heartbeats, rate-limit windows) may lapse during a slow run:
  // count the lasting ones, which is what a hostile call could add or remove.
  const all = await redis.keys('sec_http:*');
  const ttls = await Promise.all(all.map((k) => redis.ttl(k)));
  const redisKeys = ttls.filter((ttl) => ttl === -1).length;
  redis.disconnect();
  const influx = (await (
    await fetch(`${servers.influx.url}/query?db=${encodeURIComponent(config.influx.db)}&q=${encodeURIComponent('SHOW SERIES')}`)
  ).json()) as { results: { series?: { values: unknown[] }[] }[] };
  const db = gw.db();
  const gwTables = (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[]
  )
    .map((r) => r.name)
    .filter((n) => n !== 'outbox' && n !== 'meta'); // the relay drains the outbox on its own
  return {
    mysql: Object.fromEntries(await Promise.all(tables.map(async (tb) => [tb, await meta.countRows(tb)]))),
    keys: (await meta.listApiKeys(DEFAULT_SCOPE, { limit: 500 })).items.length,
    gateways: (await meta.listGateways(DEFAULT_SCOPE, { limit: 500 })).items.length,
    redisKeys,
    influxSeries: influx.results[0]?.series?.[0]?.values.length ?? 0,
    canaryPoints: (await pointsOf(c.cloud.stores, canary, 0, T0 + 10_000_000)).length,
    gateway: Object.fromEntries(gwTables.map((n) => [n, (db.prepare(`SELECT count(*) AS n FROM "${n}"`).get() as { n: number }).n])),
  };
}

t.test('routes are enumerated from the apps, and every one is classified', async (t) => {
  t.ok(cloudPrivate.length >= 15, `cloud: ${cloudRoutes.length} routes, ${cloudPrivate.length} need a credential`);
  t.ok(gwPrivate.length >= 6, `gateway: ${gwRoutes.length} routes, ${gwPrivate.length} need the operator token`);
  t.same(
    cloudPrivate.map(key).filter((k) => !(k in CLOUD_ROLES)),
    [],
    'every non-public cloud route has a role in this test (add a new route to CLOUD_ROLES)',
  );
  t.same(
    [...CLOUD_PUBLIC].filter((k) => !cloudRoutes.some((r) => key(r) === k)),
    [],
    'the public list names only routes that exist',
  );
  t.ok(
    gwRoutes.some((r) => key(r) === 'GET /v1/relay'),
    'the gateway relay route is there (cloud configured)',
  );
});

t.test('every non-public route refuses anonymous and bogus credentials', async (t) => {
  const bogus: [string, Record<string, string>][] = [
    ['no Authorization', {}],
    ['Basic auth', { authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` }],
    ['empty bearer', { authorization: 'Bearer ' }],
    ['unknown key', { authorization: 'Bearer svk_not-a-key-0000000000000000000000000' }],
    ['key in a query string', {}],
    ['NUL in the header value', { authorization: 'Bearer svk_\u0001abc' }],
  ];
  for (const r of cloudPrivate) {
    for (const [what, headers] of bogus) {
      const path = fill(r.path, { id: validId(r) }) + (what === 'key in a query string' ? `?key=${creds.admin}&token=${creds.admin}` : '');
      const res = await fetch(`${c.base}${path}`, {
        method: r.method,
        headers: { ...headers, ...(hasBody(r) ? { 'content-type': 'application/json' } : {}) },
        body: hasBody(r) ? '{}' : undefined,
      }).catch((e: Error) => ({ status: 0, json: async () => ({ error: { code: e.message } }) }));
      const body = (await res.json().catch(() => null)) as { error?: { code?: string } } | null;
      if (res.status === 0) {
        t.pass(`cloud ${key(r)}, ${what}: the client refuses to send it`); // fetch rejects control characters in headers
        continue;
      }
      t.equal(res.status, 401, `cloud ${key(r)}, ${what}: 401`);
      t.equal(body?.error?.code, 'SV_ERR_UNAUTHORIZED');
    }
  }
  for (const r of gwPrivate) {
    for (const token of [undefined, 'svo_wrong-token-000000000000', creds.admin, creds.gateway.token]) {
      const res = await gwCall(r.method, fill(r.path, { id: 'kit-local' }), token, hasBody(r) ? {} : undefined);
      t.equal(res.status, 401, `gateway ${key(r)} with ${token === undefined ? 'no token' : `${token.slice(0, 4)}… token`}: 401`);
      t.equal(res.body?.error?.code, 'SV_ERR_UNAUTHORIZED');
    }
  }
  for (const r of cloudPrivate) {
    const res = await api(c.base, r.method, fill(r.path, { id: validId(r) }), operatorToken, hasBody(r) ? {} : undefined);
    t.equal(res.status, 401, `cloud ${key(r)} with the gateway's operator token: 401`);
  }
});

t.test('roles: a gateway token is no API key, an API key no gateway token, and lower roles get 403', async (t) => {
  for (const r of cloudPrivate) {
    const need = CLOUD_ROLES[key(r)] as Need;
    for (const who of ['gateway', 'viewer', 'operator', 'admin'] as const) {
      const res = await api(c.base, r.method, fill(r.path, { id: validId(r) }), cloudCred[who], hasBody(r) ? {} : undefined);
      const label = `cloud ${key(r)} (needs ${need}) with ${who}`;
      if (!byKey(need)) {
        t.ok(res.status === 401 || res.status === 403, `${label}: refused (${res.status})`);
      } else if (need === 'gateway' || who === 'gateway') {
        if (who === need) t.not(res.status, 401, `${label}: accepted (${res.status})`);
        else t.equal(res.status, 401, `${label}: 401`);
      } else if (RANK[who] < RANK[need]) {
        t.equal(res.status, 403, `${label}: 403`);
        t.equal(res.body?.error?.code, 'SV_ERR_FORBIDDEN');
      } else t.ok(res.status !== 401 && res.status !== 403, `${label}: accepted (${res.status})`);
    }
  }
  for (const r of gwPrivate) {
    const res = await gwCall(r.method, fill(r.path, { id: 'kit-local' }), operatorToken, hasBody(r) ? {} : undefined);
    t.ok(res.status !== 401 && res.status < 500, `gateway ${key(r)} with the operator token: accepted (${res.status})`);
  }
});

t.test('oversized bodies get 413 on every route that takes one, and store nothing', async (t) => {
  const before = await snapshot();
  const big = JSON.stringify({ name: 'x'.repeat(70 * 1024) });
  // Routes only a session reaches are left out: no key gets past their credential check to the body.
  for (const r of cloudRoutes.filter((r) => (hasBody(r) || r.method === 'DELETE') && byKey(CLOUD_ROLES[key(r)] ?? 'viewer'))) {
    const need = CLOUD_ROLES[key(r)] as Need;
    const res = await api(c.base, r.method, fill(r.path, { id: validId(r) }), cloudCred[need], big, { 'content-type': 'application/json' });
    t.equal(res.status, 413, `cloud ${key(r)}: 413`);
    t.equal(res.body?.error?.code, 'SV_ERR_BODY_TOO_LARGE');
  }
  const huge = JSON.stringify({ targetC: 56, pad: 'x'.repeat(1100 * 1024) }); // over Fastify's 1 MiB default
  for (const r of gwRoutes.filter((r) => hasBody(r) || r.method === 'DELETE')) {
    const res = await api(gwBase, r.method, fill(r.path, { id: 'kit-local' }), operatorToken, huge, { 'content-type': 'application/json' });
    t.equal(res.status, 413, `gateway ${key(r)}: 413`);
    t.equal(res.body?.error?.code, 'SV_ERR_BODY_TOO_LARGE');
  }
  t.same(await snapshot(), before, 'no store changed');
});

const HOSTILE = [
  "' OR 1=1 --",
  "kit-canary' OR '1'='1",
  '../../etc/passwd',
  '..%2F..%2Fetc%2Fpasswd',
  '"; DROP MEASUREMENT telemetry; --',
  '"; DROP DATABASE sousvide',
  '$(reboot)',
  '`id`',
  'a\u0000b',
  '\u0000',
  'x'.repeat(5000),
  'kit-ü',
  '🔥🔥🔥',
  '\u202egnp.exe',
  '<script>alert(1)</script>',
  '{"$gt":""}',
  '*',
  '.*',
  '\\',
];
// Cursors this API never issued, well-formed base64url JSON: non-ASCII ids, text for numbers, too many keys, huge numbers.
const FORGED_CURSORS = [
  '["kit-ü","ü"]',
  '["abc","x"]',
  '[1e999,"x"]',
  '["x","y","z","w"]',
  `["${'x'.repeat(300)}",1]`,
  '[{"$gt":0},"x"]',
  '[-1,"x"]',
].map((j) => Buffer.from(j).toString('base64url'));

t.test('hostile ids, query values and body fields: a clean 4xx naming the field (never a 500), and no store changes', async (t) => {
  const before = await snapshot();
  const doc = (await api(c.base, 'GET', '/openapi.json')).body as {
    paths: Record<string, Record<string, { parameters?: { in: string; name: string }[] }>>;
  };
  const queryParams = (r: Route) =>
    (doc.paths[r.path.replace(/:(\w+)/g, '{$1}')]?.[r.method.toLowerCase()]?.parameters ?? [])
      .filter((p) => p.in === 'query')
      .map((p) => p.name);
  let calls = 0;
  let deadLettered = 0; // a rejected record of a well-formed batch is kept as a dead letter (docs/design.md invariant 5)
  const check = async (
    label: string,
    res: { status: number; body: { error?: { code: string; details: string[] }; items?: unknown[] } },
    field: string,
  ) => {
    calls++;
    if (res.status >= 500) return t.fail(`${label}: ${res.status} ${JSON.stringify(res.body)}`);
    if (res.status === 404 && res.body?.error?.code === 'SV_ERR_NOT_FOUND') return; // not routed (over-long segment) or no such record
    if (res.status >= 400) {
      const part = field.includes('.') ? `${field.split('.')[0]}:` : 'params:'; // the router names the part (params: too long)
      if (!res.body?.error?.details?.some((d) => d.startsWith(field) || d.startsWith(part)))
        t.fail(`${label}: ${res.status} without naming ${field}: ${JSON.stringify(res.body)}`);
      return;
    }
    // Accepted: a free-text filter, bound as a parameter: it matches nothing.
    if (!Array.isArray(res.body?.items) || res.body.items.length !== 0)
      t.fail(`${label}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
  };
  for (const r of cloudPrivate.filter((r) => byKey(CLOUD_ROLES[key(r)] as Need))) {
    const need = CLOUD_ROLES[key(r)] as Need;
    const body = hasBody(r) ? {} : undefined;
    for (const p of HOSTILE) {
      for (const param of r.params) {
        const res = await api(c.base, r.method, fill(r.path, { [param]: p }), cloudCred[need], body);
        await check(`cloud ${key(r)} :${param}=${JSON.stringify(p.slice(0, 40))}`, res, `params.${param}`);
      }
      if (r.method !== 'GET') continue;
      for (const q of queryParams(r)) {
        for (const v of q === 'cursor' ? [p, ...FORGED_CURSORS] : [p]) {
          const res = await api(c.base, 'GET', `${fill(r.path, { id: validId(r) })}?${q}=${encodeURIComponent(v)}`, cloudCred[need]);
          await check(`cloud ${key(r)} ?${q}=${JSON.stringify(v.slice(0, 40))}`, res, `query.${q}`);
        }
      }
    }
  }
  for (const p of HOSTILE) {
    const label = (what: string) => `${what} = ${JSON.stringify(p.slice(0, 40))}`;
    await check(label('POST /v1/gateways body.name'), await api(c.base, 'POST', '/v1/gateways', creds.admin, { name: p }), 'body.name');
    await check(
      label('POST /v1/keys body.owner'),
      await api(c.base, 'POST', '/v1/keys', creds.admin, { role: 'viewer', owner: p }),
      'body.owner',
    );
    await check(
      label('POST /v1/keys body.role'),
      await api(c.base, 'POST', '/v1/keys', creds.admin, { role: p, owner: 'mallory' }),
      'body.role',
    );
    await check(
      label('PUT cook body.targetC'),
      await api(c.base, 'PUT', `/v1/devices/${canary}/cook`, creds.operator, { targetC: p }),
      'body.targetC',
    );
    await check(
      label('gateway PUT cook body.targetC'),
      await gwCall('PUT', '/v1/devices/kit-local/cook', operatorToken, { targetC: p }),
      'body.targetC',
    );
    const ingest = await api(c.base, 'POST', '/v1/ingest', creds.gateway.token, batch([telemetry(p, 1, 0)]));
    calls++;
    t.ok(ingest.status < 500, label('ingest records[0].deviceId: no 5xx'));
    if (ingest.status === 200) deadLettered += ingest.body.rejected?.length ?? 0;
    if (ingest.status === 200)
      t.match(
        ingest.body.rejected,
        [{ index: 0, reasons: [/^records\.0\.deviceId: /] }],
        label('the record is rejected, naming the field'),
      );
    else t.match(ingest.body?.error?.details, [/^body\./], label('the batch is refused, naming the field'));
  }
  // The gateway describes its query parameters the same way (docs/api.md): every one of them gets the hostile values too.
  const gwDoc = (await gwCall('GET', '/openapi.json')).body as typeof doc;
  const gwQueryParams = (r: Route) =>
    (gwDoc.paths[r.path.replace(/:(\w+)/g, '{$1}')]?.[r.method.toLowerCase()]?.parameters ?? [])
      .filter((p) => p.in === 'query')
      .map((p) => p.name);
  for (const r of gwPrivate) {
    for (const p of HOSTILE) {
      for (const param of r.params) {
        const res = await gwCall(r.method, fill(r.path, { [param]: p }), operatorToken, hasBody(r) ? { targetC: 56 } : undefined);
        await check(`gateway ${key(r)} :${param}=${JSON.stringify(p.slice(0, 40))}`, res, `params.${param}`);
      }
      if (r.method !== 'GET') continue;
      for (const q of gwQueryParams(r)) {
        for (const v of q === 'cursor' ? [p, ...FORGED_CURSORS] : [p]) {
          const res = await gwCall('GET', `${fill(r.path, { id: 'kit-local' })}?${q}=${encodeURIComponent(v)}`, operatorToken);
          await check(`gateway ${key(r)} ?${q}=${JSON.stringify(v.slice(0, 40))}`, res, `query.${q}`);
        }
      }
    }
  }
  t.ok(calls > 500, `${calls} hostile calls, none answered 5xx`);
  const after = await snapshot();
  t.equal(
    after.mysql.dead_letters,
    before.mysql.dead_letters + deadLettered,
    `the rejected ingest records were dead-lettered (${deadLettered})`,
  );
  t.same(
    { ...after, mysql: { ...after.mysql, dead_letters: before.mysql.dead_letters } },
    before,
    'nothing else changed in any store (MySQL rows, API keys, gateways, Redis keys, Influx series, gateway SQLite rows)',
  );
  const still = await api(c.base, 'GET', `/v1/devices/${canary}/telemetry?from=${T0 - 60_000}&to=${T0 + 60_000}&every=1m`, creds.viewer);
  t.equal(still.status, 200, 'the canary telemetry still answers');
  t.ok(still.body.buckets.length > 0);
});
