import SwaggerParser from '@apidevtools/swagger-parser';
import t, { type Test } from 'tap';
import type { z } from 'zod';
import { credentials, startCloud, testConfig } from '../cloud/testing/servers.js';
import { issueOperatorToken, tokenFilePath } from '../gateway/http/operator-token.js';
import { startGateway, telemetry } from '../gateway/testing/fixture.js';
import { Paged } from '../shared/api/cursor.js';
import { AuditEntry, Device, DeviceDetail, ErrorBody, Event } from '../shared/api/resources.js';
import { FAST_RELAY } from './cloud-behind-proxy.js';
import { waitFor } from './harness/index.js';

/**
 * One API style (docs/api.md): the same client calls against a real gateway (its SQLite, a kit over
 * MQTT/TLS) and a real cloud (embedded store) that the gateway relays to, so the kit exists on
 * both. Every answer is validated against the shared zod schema, and the two servers' answers are
 * compared: status codes, key sets, error codes and details.
 */
const cloud = await startCloud(t, testConfig(t, undefined, 'contract'));
const creds = await credentials(cloud);
const gw = await startGateway(t, { 'cloud.url': cloud.base, 'cloud.token': creds.gateway.token, ...FAST_RELAY });
const operatorToken = issueOperatorToken(tokenFilePath(gw.dataDir));
const KIT = 'kit-contract';
const kit = await gw.connect({ clientId: KIT, username: KIT, password: await gw.addKit(KIT) });
t.teardown(() => kit.endAsync(true));
for (let seq = 0; seq < 3; seq++)
  await kit.publishAsync(`sv/${KIT}/telemetry`, telemetry({ seq, tempC: 40 + seq, heater: false }), { qos: 1 });

interface Server {
  name: 'gateway' | 'cloud';
  base: string;
  token: string;
}
const servers: Server[] = [
  { name: 'gateway', base: `http://127.0.0.1:${gw.httpPort}`, token: operatorToken },
  { name: 'cloud', base: cloud.base, token: creds.operator },
];

// biome-ignore lint/suspicious/noExplicitAny: JSON read back from the servers
type Json = any;
async function call(s: Server, method: string, path: string, body?: unknown, token: string | null = s.token) {
  const res = await fetch(`${s.base}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

// The kit exists on both: the gateway knows it at once, the cloud once the relay delivered its readings.
await waitFor(
  'the kit on the cloud',
  async () => {
    const r = await call(servers[1] as Server, 'GET', `/v1/devices/${KIT}`);
    return r.status === 200 && r.body.state?.seq === 2 ? true : undefined;
  },
  30_000,
);

const keys = (o: Record<string, unknown>) => Object.keys(o).sort();

/** Calls both servers the same way; checks the status, the schema, and the same key sets on both. */
async function both<T extends z.ZodType>(
  tt: Test,
  what: string,
  method: string,
  path: string,
  body: unknown,
  status: number,
  schema: T,
): Promise<Json[]> {
  const out: Json[] = [];
  for (const s of servers) {
    const r = await call(s, method, path, body);
    tt.equal(r.status, status, `${s.name}: ${what} is ${status} (${JSON.stringify(r.body).slice(0, 300)})`);
    const parsed = schema.safeParse(r.body);
    tt.ok(parsed.success, `${s.name}: ${what} matches the shared schema${parsed.success ? '' : `: ${parsed.error.message}`}`);
    out.push(r.body);
  }
  tt.same(keys(out[0]), keys(out[1]), `${what}: the same fields on both`);
  return out;
}

function sameItemKeys(tt: Test, what: string, [g, c]: Json[]) {
  tt.ok(g.items.length > 0 && c.items.length > 0, `${what}: items on both`);
  const gk = new Set(g.items.map((i: Json) => keys(i).join(',')));
  const ck = new Set(c.items.map((i: Json) => keys(i).join(',')));
  tt.same([...gk], [...ck], `${what}: every item has the same fields on both`);
}

t.test('devices: list and detail have one shape', async (t) => {
  const list = await both(t, 'device list', 'GET', '/v1/devices', undefined, 200, Paged(Device));
  sameItemKeys(t, 'device list', list);
  for (const [i, l] of list.entries())
    t.ok(
      l.items.some((d: Json) => d.id === KIT),
      `${servers[i]?.name}: the kit is listed`,
    );
  const [g, c] = await both(t, 'device detail', 'GET', `/v1/devices/${KIT}`, undefined, 200, DeviceDetail);
  t.same(keys(g.state), keys(c.state), 'the latest reading has the same fields');
  t.equal(g.state.seq, 2, 'gateway: the latest reading');
  t.equal(c.state.seq, 2, 'cloud: the latest reading');
  t.equal(g.state.tempC, c.state.tempC, 'the same temperature on both');
  t.equal(typeof g.lastSeenMs, 'number', 'times are epoch ms');
  t.type(g.control, 'object', 'the gateway adds its control details');
  t.equal(c.control, null, 'the cloud has none');
  const page = await both(t, 'a page of one', 'GET', '/v1/devices?limit=1', undefined, 200, Paged(Device));
  for (const p of page) t.equal(p.items.length, 1, 'limit is honoured');
});

t.test('errors: the same status, code and details for the same mistake', async (t) => {
  const cases: [string, string, string, unknown, number, string, string[] | RegExp][] = [
    ['unknown device', 'GET', '/v1/devices/no-such-kit', undefined, 404, 'SV_ERR_NOT_FOUND', ['params.id: no such device']],
    ['bad device id', 'GET', '/v1/devices/Bad%20Id!', undefined, 400, 'SV_ERR_VALIDATION', /^params\.id: /],
    [
      'cook on an unknown device',
      'PUT',
      '/v1/devices/no-such-kit/cook',
      { targetC: 60 },
      404,
      'SV_ERR_NOT_FOUND',
      ['params.id: no such device'],
    ],
    ['bad body', 'PUT', `/v1/devices/${KIT}/cook`, { targetC: 'hot' }, 400, 'SV_ERR_VALIDATION', /^body\.targetC: /],
    [
      'unknown body field',
      'PUT',
      `/v1/devices/${KIT}/cook`,
      { targetC: 60, colour: 'red' },
      400,
      'SV_ERR_VALIDATION',
      ['body.colour: unknown field'],
    ],
    [
      'below 54.4 °C for more than 4 h without the override',
      'PUT',
      `/v1/devices/${KIT}/cook`,
      { targetC: 52, durationMin: 300 },
      400,
      'SV_ERR_VALIDATION',
      ['body.lowTempOverride: required (true) for a cook below 54.4 °C longer than 4 h'],
    ],
    ['bad limit', 'GET', '/v1/events?limit=0', undefined, 400, 'SV_ERR_VALIDATION', /^query\.limit: /],
    [
      'forged cursor',
      'GET',
      '/v1/audit?cursor=bm9wZQ',
      undefined,
      400,
      'SV_ERR_VALIDATION',
      ['query.cursor: not a cursor this API issued'],
    ],
    ['unknown query field', 'GET', '/v1/events?before=5', undefined, 400, 'SV_ERR_VALIDATION', ['query.before: unknown field']],
  ];
  for (const [what, method, path, body, status, code, details] of cases) {
    const [g, c] = await both(t, what, method, path, body, status, ErrorBody);
    for (const [i, r] of [g, c].entries()) {
      t.equal(r.error.code, code, `${servers[i]?.name}: ${what}: ${code}`);
      if (Array.isArray(details)) t.same(r.error.details, details, `${servers[i]?.name}: ${what}: details name the field`);
      else t.match(r.error.details[0], details, `${servers[i]?.name}: ${what}: details name the field`);
    }
    t.same(g.error.details, c.error.details, `${what}: the same details on both`);
  }
  for (const s of servers) {
    const r = await call(s, 'GET', '/v1/devices', undefined, null);
    t.equal(r.status, 401, `${s.name}: no token is 401`);
    t.equal(r.body.error.code, 'SV_ERR_UNAUTHORIZED');
  }
});

t.test('cook start, change and stop answer the device on both', async (t) => {
  // Each server is asked the same things on its own: while this runs, the cloud's desired cooks are
  // not applied on the gateway (the relay's downlink would replace its cook with the cloud's).
  const relay = gw.gateway.relay;
  const onDesired = relay?.onDesired;
  if (relay) relay.onDesired = async () => {};
  t.teardown(() => {
    if (relay) relay.onDesired = onDesired;
  });
  const [g1, c1] = await both(t, 'start', 'PUT', `/v1/devices/${KIT}/cook`, { targetC: 60, durationMin: 90 }, 200, DeviceDetail);
  t.same(g1.desiredCook.spec, { targetC: 60, durationMin: 90 }, 'gateway: the desired cook');
  t.same(c1.desiredCook.spec, { targetC: 60, durationMin: 90 }, 'cloud: the desired cook');
  t.equal(g1.cook.state, 'heating', 'gateway: the cook runs at once');
  t.equal(g1.cook.deviceId, KIT);
  const [g2, c2] = await both(
    t,
    'change, with the override',
    'PUT',
    `/v1/devices/${KIT}/cook`,
    { targetC: 52, durationMin: 300, lowTempOverride: true, reason: 'contract test' },
    200,
    DeviceDetail,
  );
  t.equal(g2.desiredCook.spec.targetC, 52);
  t.equal(c2.desiredCook.spec.targetC, 52);
  t.equal(g2.cook.id, g1.cook.id, 'gateway: a change keeps the cook');
  t.ok(g2.cook.version > g1.cook.version, 'gateway: a change bumps the version');
  t.ok(c2.desiredCook.version > c1.desiredCook.version, 'cloud: a change bumps the desired version');
  const [g3, c3] = await both(t, 'stop', 'DELETE', `/v1/devices/${KIT}/cook`, { reason: 'done testing' }, 200, DeviceDetail);
  t.equal(g3.desiredCook.spec, null, 'gateway: nothing desired');
  t.equal(c3.desiredCook.spec, null, 'cloud: nothing desired');
  t.equal(g3.cook.state, 'stopped', 'gateway: the cook stopped');
  await both(t, 'stop again (nothing to stop)', 'DELETE', `/v1/devices/${KIT}/cook`, undefined, 200, DeviceDetail);
});

t.test('events and audit: one shape, cursor pages on both', async (t) => {
  // The cloud's events come from the gateway through the relay.
  await waitFor(
    'events on the cloud',
    async () => ((await call(servers[1] as Server, 'GET', '/v1/events?limit=2')).body.items?.length === 2 ? true : undefined),
    30_000,
  );
  for (const [path, schema] of [
    ['/v1/events', Event],
    ['/v1/audit', AuditEntry],
  ] as const) {
    const first = await both(t, `${path} page 1`, 'GET', `${path}?limit=1`, undefined, 200, Paged(schema));
    sameItemKeys(t, path, first);
    for (const [i, p] of first.entries()) {
      t.equal(p.items.length, 1, `${servers[i]?.name}: ${path}: one item`);
      t.type(p.nextCursor, 'string', `${servers[i]?.name}: ${path}: a next cursor`);
    }
    for (const [i, s] of servers.entries()) {
      const next = await call(s, 'GET', `${path}?limit=1&cursor=${first[i].nextCursor}`);
      t.equal(next.status, 200, `${s.name}: ${path}: the cursor leads on`);
      const [a, b] = [first[i].items[0], next.body.items[0]];
      t.ok(b.ts < a.ts || (b.ts === a.ts && b.id < a.id), `${s.name}: ${path}: page 2 is older (newest first)`);
      const all = await call(s, 'GET', `${path}?limit=500`);
      t.equal(all.body.nextCursor, null, `${s.name}: ${path}: the last page has no cursor`);
    }
    const [g] = first;
    const byDevice = await call(servers[0] as Server, 'GET', `${path}?device=${KIT}&limit=500`);
    t.ok(
      byDevice.body.items.length > 0 && byDevice.body.items.every((x: Json) => x.deviceId === KIT),
      `gateway: ${path}?device filters by kit`,
    );
    t.equal(g.items[0].gatewayId, null, 'gateway: its own records have no gatewayId');
  }
  const audit = (await call(servers[0] as Server, 'GET', `/v1/audit?device=${KIT}&limit=500`)).body.items as Json[];
  t.ok(
    audit.some((a) => a.actor.type === 'user' && a.actor.id === 'operator' && a.action === 'cook_stop' && a.reason === 'done testing'),
    'gateway: the stop is audited with its reason',
  );
});

t.test('both OpenAPI documents validate, and describe the shared routes alike', async (t) => {
  const docs: Json[] = [];
  for (const s of servers) {
    const r = await call(s, 'GET', '/openapi.json', undefined, null);
    t.equal(r.status, 200, `${s.name}: /openapi.json is public`);
    await t.resolves(SwaggerParser.validate(structuredClone(r.body)), `${s.name}: a valid OpenAPI document`);
    for (const [path, ops] of Object.entries(r.body.paths as Record<string, Record<string, Json>>)) {
      for (const [method, op] of Object.entries(ops)) t.ok(Array.isArray(op.security), `${s.name}: ${method} ${path} names its auth`);
    }
    const page = await fetch(`${s.base}/docs`);
    t.match(await page.text(), /openapi\.json/, `${s.name}: /docs`);
    docs.push(r.body);
  }
  const [g, c] = docs;
  t.same(g.paths['/v1/devices'].get.security, [{ operatorToken: [] }], 'gateway: the operator token');
  t.same(g.components.securitySchemes.operatorToken, {
    type: 'http',
    scheme: 'bearer',
    description: 'The operator token (sousvide gateway token)',
  });
  t.same(g.paths['/healthz'].get.security, [], 'gateway: health needs no token');
  const streamQuery = (d: Json) => (d.paths['/v1/stream']?.get?.parameters as Json[] | undefined)?.filter((p) => p.in === 'query');
  t.match(streamQuery(g), [{ name: 'devices', schema: { type: 'string' } }], 'gateway: GET /v1/stream documents ?devices=');
  t.same(streamQuery(g), streamQuery(c), 'GET /v1/stream: the same query on both');
  for (const [path, method] of <[string, string][]>[
    ['/v1/devices', 'get'],
    ['/v1/devices/{id}', 'get'],
    ['/v1/devices/{id}/cook', 'put'],
    ['/v1/devices/{id}/cook', 'delete'],
    ['/v1/events', 'get'],
    ['/v1/audit', 'get'],
  ]) {
    const schemaOf = (d: Json) => d.paths[path]?.[method]?.responses?.['200']?.content?.['application/json']?.schema;
    t.ok(schemaOf(g), `gateway documents ${method} ${path}`);
    t.same(schemaOf(g), schemaOf(c), `${method} ${path}: the same response schema on both`);
    t.same(
      g.paths[path][method].requestBody?.content['application/json'].schema,
      c.paths[path][method].requestBody?.content['application/json'].schema,
      `${method} ${path}: the same request body on both`,
    );
  }
});
