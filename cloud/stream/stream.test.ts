import t from 'tap';
import { openSse, type SseClient } from '../../shared/stream/sse-client.js';
import { sessionClient } from '../testing/browserless.js';
import { batch, event, registry, telemetry } from '../testing/fixtures.js';
import { api, type RunningCloud, startCloud, startServers, tenant, testConfig } from '../testing/servers.js';

/**
 * GET /v1/stream on the cloud: two instances on the same Redis, MariaDB and InfluxDB. A batch
 * ingested by one instance reaches the org's streams on both (Redis pub/sub); a stream resumes
 * on the other instance with Last-Event-ID; another org's stream never sees the kit; no
 * credentials, 401. Then the embedded store (one process, in-process fan-out).
 */
const servers = await startServers(t);
type Reading = { deviceId: string; seq: number; tempC: number; gatewayId: string };
const readings = (c: SseClient) => c.messages.filter((m) => m.event === 'reading').map((m) => JSON.parse(m.data) as Reading);
const isReading = (kit: string, seq: number) => (m: { event: string; data: string }) =>
  m.event === 'reading' && JSON.parse(m.data).deviceId === kit && JSON.parse(m.data).seq === seq;

async function orgWithKit(c: RunningCloud) {
  const creds = await tenant(c);
  const kit = `kit-${creds.orgId.slice(-6)}`.toLowerCase();
  const ingest = (records: Parameters<typeof batch>[0]) => api(c.base, 'POST', '/v1/ingest', creds.gateway.token, batch(records));
  const r = await ingest([registry([kit])]);
  if (r.status !== 200) throw new Error(`registry: ${JSON.stringify(r.body)}`);
  return { ...creds, kit, ingest };
}

t.test('two instances on Redis: fan-out, resume on the other instance, tenancy, 401', async (t) => {
  const config = testConfig(t, servers, 'stream', {
    'stream.readingIntervalMs': 0,
    'stream.flushMs': 0,
    'auth.sessionSecret': 'the same session secret on every instance of this cloud',
  });
  const [one, two] = [await startCloud(t, config), await startCloud(t, config)] as [RunningCloud, RunningCloud];
  const A = await orgWithKit(one);
  const B = await orgWithKit(one);

  const anon = await fetch(`${one.base}/v1/stream`);
  t.equal(anon.status, 401, 'no credentials: 401');
  t.match(await anon.json(), { error: { code: 'SV_ERR_UNAUTHORIZED' } });

  const auth = (key: string) => ({ authorization: `Bearer ${key}` });
  const a1 = openSse(`${one.base}/v1/stream`, auth(A.viewer));
  const b1 = openSse(`${one.base}/v1/stream`, auth(B.viewer));
  // A's admin user by session (the dashboard's way): the cookie alone.
  const session = sessionClient(one.base);
  const email = `${A.kit}@example.com`;
  const { createUser } = await import('../auth/users.js');
  await createUser(
    one.cloud.stores.meta,
    { email, orgId: A.orgId, role: 'viewer', password: 'a long enough passphrase', publicUrl: one.base },
    Date.now(),
  );
  t.equal((await session.login(email, 'a long enough passphrase')).status, 200);
  const aSession = openSse(`${two.base}/v1/stream`, { cookie: session.cookie });
  t.teardown(() => {
    for (const c of [a1, b1, aSession]) c.close();
  });
  for (const c of [a1, b1, aSession]) {
    t.equal(await c.status, 200);
    await c.next((m) => m.event === 'ready');
  }

  // Ingested by instance two: instance one's streams get it through Redis.
  t.equal((await A.ingest([telemetry(A.kit, 1, 1, { tempC: 56.1 }), event(A.kit, { severity: 'alarm', type: 'over_temp' })])).status, 200);
  const first = await a1.next(isReading(A.kit, 1));
  t.match(JSON.parse(first.data), { deviceId: A.kit, seq: 1, tempC: 56.1, gatewayId: A.gateway.id }, 'the reading arrives');
  const alarm = await a1.next((m) => m.event === 'alarm');
  t.match(JSON.parse(alarm.data), { deviceId: A.kit, type: 'over_temp', severity: 'alarm' }, 'and the alarm');
  await aSession.next(isReading(A.kit, 1));
  t.pass('a session stream on the other instance gets it too');

  a1.close();
  await a1.closed;
  for (let seq = 2; seq <= 4; seq++) t.equal((await A.ingest([telemetry(A.kit, 1, seq)])).status, 200);
  await aSession.next(isReading(A.kit, 4));
  const resumed = openSse(`${two.base}/v1/stream`, { ...auth(A.viewer), 'last-event-id': first.lastEventId });
  t.teardown(() => resumed.close());
  await resumed.next((m) => m.event === 'ready');
  t.same(
    resumed.messages.map((m) => m.event),
    ['reading', 'reading', 'reading', 'ready'],
    'resumed on the other instance: exactly what it missed',
  );
  t.same(
    [...readings(a1), ...readings(resumed)].map((r) => r.seq),
    [1, 2, 3, 4],
    'no loss, no duplicates',
  );

  // B's traffic, then a marker of A's: by the time A's marker arrives, B's would have.
  t.equal((await B.ingest([telemetry(B.kit, 1, 1), event(B.kit, { severity: 'critical', type: 'heater_stuck' })])).status, 200);
  await b1.next(isReading(B.kit, 1));
  t.equal((await A.ingest([telemetry(A.kit, 1, 5)])).status, 200);
  await resumed.next(isReading(A.kit, 5));
  await aSession.next(isReading(A.kit, 5));
  for (const c of [a1, resumed, aSession]) {
    t.notMatch(c.messages.map((m) => m.data).join('\n'), B.kit, "org A's streams never carry org B's kit");
  }
  t.notMatch(b1.messages.map((m) => m.data).join('\n'), A.kit, "org B's stream never carries org A's kit");
  const fromB = openSse(`${one.base}/v1/stream`, { ...auth(B.viewer), 'last-event-id': first.lastEventId });
  t.teardown(() => fromB.close());
  await fromB.next((m) => m.event === 'ready');
  t.same(
    fromB.messages.map((m) => m.event),
    ['reset', 'ready'],
    "org A's message id replays nothing in org B",
  );

  // A key limited to another gateway of org A: none of A's kit's messages (they come from A's first gateway).
  const other = await api(one.base, 'POST', '/v1/gateways', A.admin, { name: `gw-other-${A.kit}` });
  const limited = await api(one.base, 'POST', '/v1/keys', A.admin, { role: 'viewer', owner: 'lim', gateway: other.body.id });
  t.equal(limited.status, 201);
  const lim = openSse(`${one.base}/v1/stream`, { ...auth(limited.body.key), 'last-event-id': first.lastEventId });
  t.teardown(() => lim.close());
  await lim.next((m) => m.event === 'ready');
  t.equal((await A.ingest([telemetry(A.kit, 1, 6)])).status, 200);
  await resumed.next(isReading(A.kit, 6));
  await new Promise((r) => setTimeout(r, 200));
  t.same(
    lim.messages.map((m) => m.event),
    ['ready'],
    "a gateway-limited key's stream carries only its gateway's kits (nothing replayed, nothing live)",
  );

  const doc = await api(one.base, 'GET', '/openapi.json');
  t.match(doc.body.paths['/v1/stream'].get, { 'x-role': 'viewer (API key or session)' }, 'in the OpenAPI document with its auth');
});

t.test('embedded store: in-process fan-out', async (t) => {
  const c = await startCloud(t, testConfig(t, undefined, 'stream-embedded', { 'stream.flushMs': 0 }));
  const A = await orgWithKit(c);
  const B = await orgWithKit(c);
  const a = openSse(`${c.base}/v1/stream`, { authorization: `Bearer ${A.viewer}` });
  const b = openSse(`${c.base}/v1/stream`, { authorization: `Bearer ${B.viewer}` });
  t.teardown(() => {
    a.close();
    b.close();
  });
  await a.next((m) => m.event === 'ready');
  await b.next((m) => m.event === 'ready');
  t.equal((await A.ingest([telemetry(A.kit, 1, 1), telemetry(A.kit, 1, 2, { tempC: 60.5 })])).status, 200);
  const r = await a.next((m) => m.event === 'reading');
  t.match(JSON.parse(r.data), { deviceId: A.kit, seq: 2, tempC: 60.5 }, 'the newest reading of the batch');
  t.equal((await B.ingest([telemetry(B.kit, 1, 1)])).status, 200);
  await b.next(isReading(B.kit, 1));
  t.notMatch(a.messages.map((m) => m.data).join('\n'), B.kit, 'org A never sees org B');
  t.notMatch(b.messages.map((m) => m.data).join('\n'), A.kit, 'org B never sees org A');
});

t.test('embedded store, ?devices=: its kit only, within the org; a bad value is a 400 naming the field', async (t) => {
  const c = await startCloud(t, testConfig(t, undefined, 'stream-devices', { 'stream.flushMs': 0, 'stream.readingIntervalMs': 0 }));
  const A = await orgWithKit(c);
  const B = await orgWithKit(c);
  const otherKit = `${A.kit}-b`;
  t.equal((await A.ingest([registry([otherKit])])).status, 200);
  const url = `${c.base}/v1/stream`;
  const auth = { authorization: `Bearer ${A.viewer}` };

  const bad = await fetch(`${url}?devices=${A.kit},UPPER`, { headers: auth });
  t.equal(bad.status, 400, 'a bad device id: 400');
  t.match(await bad.json(), { error: { code: 'SV_ERR_VALIDATION', details: [/^query\.devices\.1: must match/] } }, 'naming the field');
  const many = await fetch(`${url}?devices=${Array.from({ length: 101 }, (_, i) => `kit-${i}`).join(',')}`, { headers: auth });
  t.equal(many.status, 400);
  t.match(await many.json(), { error: { details: ['query.devices: at most 100 device ids'] } });

  const one = openSse(`${url}?devices=${A.kit}`, auth);
  // B's viewer asking for A's kit: B's org scope still applies, so nothing of A's.
  const foreign = openSse(`${url}?devices=${A.kit},${B.kit}`, { authorization: `Bearer ${B.viewer}` });
  const fleet = openSse(url, auth);
  t.teardown(() => {
    for (const x of [one, foreign, fleet]) x.close();
  });
  for (const x of [one, foreign, fleet]) {
    t.equal(await x.status, 200);
    await x.next((m) => m.event === 'ready');
  }
  t.equal((await A.ingest([telemetry(otherKit, 1, 1), telemetry(A.kit, 1, 1)])).status, 200);
  t.equal((await A.ingest([telemetry(otherKit, 1, 2), event(otherKit, { severity: 'alarm', type: 'over_temp' })])).status, 200);
  t.equal((await A.ingest([telemetry(A.kit, 1, 2)])).status, 200);
  t.equal((await B.ingest([telemetry(B.kit, 1, 1)])).status, 200);
  await fleet.next(isReading(A.kit, 2));
  await one.next(isReading(A.kit, 2));
  await foreign.next(isReading(B.kit, 1));
  t.same(
    readings(one).map((r) => [r.deviceId, r.seq]),
    [
      [A.kit, 1],
      [A.kit, 2],
    ],
    "devices=<kit>: its readings only, not the other kit's of the same org",
  );
  t.notOk(
    one.messages.some((m) => m.event === 'alarm'),
    "nor the other kit's alarm",
  );
  t.ok(
    fleet.messages.some((m) => m.event === 'alarm'),
    'which the fleet stream carries',
  );
  t.same(
    readings(fleet)
      .map((r) => r.deviceId)
      .filter((k) => k === otherKit).length,
    2,
    'the fleet stream: the other kit too',
  );
  t.notMatch(foreign.messages.map((m) => m.data).join('\n'), A.kit, "another org naming A's kit gets nothing of it");
  // /metrics answers the service operator's org only: read the registry it serves.
  t.match(await c.cloud.metrics.registry.metrics(), /^stream_readings_conflated_total \d+$/m, 'the stream counters are in /metrics');
});
