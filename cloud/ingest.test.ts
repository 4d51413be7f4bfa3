import t from 'tap';
import type { RelayRecord } from '../shared/relay/batch.js';
import { DEFAULT_SCOPE } from './stores/types.js';
import { audit, batch, commandResult, cook, event, status, T0, telemetry, uid } from './testing/fixtures.js';
import { latestOf, pointsOf } from './testing/read-back.js';
import { api, credentials, type RunningCloud, startCloud, startServers, testConfig } from './testing/servers.js';

/** Ingest against private Redis, MariaDB and InfluxDB servers (test/harness): idempotency and 503 behaviour. */
const servers = await startServers(t);
const c = await startCloud(t, testConfig(t, servers, 'ingest'));
const creds = await credentials(c);
const { state, meta } = c.cloud.stores;

const post = (body: unknown, token = creds.gateway.token) => api(c.base, 'POST', '/v1/ingest', token, body);

async function retryUntilOk(body: unknown, tries = 40) {
  let last: Awaited<ReturnType<typeof post>> | undefined;
  for (let i = 0; i < tries; i++) {
    last = await post(body);
    if (last.status === 200) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  return last as Awaited<ReturnType<typeof post>>;
}

async function metric(name: string, rc: RunningCloud = c): Promise<number> {
  const m = (await rc.cloud.metrics.registry.getSingleMetric(name)?.get())?.values ?? [];
  return m.reduce((a, v) => a + v.value, 0);
}

/** Observations in a histogram (its _count). */
async function observations(name: string): Promise<number> {
  const m = ((await c.cloud.metrics.registry.getSingleMetric(name)?.get())?.values ?? []) as { metricName?: string; value: number }[];
  return m.filter((v) => v.metricName === `${name}_count`).reduce((a, v) => a + v.value, 0);
}

t.test('a batch sent twice is stored once in InfluxDB, Redis and MySQL', async (t) => {
  const dev = uid('kit').toLowerCase();
  const other = uid('kit').toLowerCase();
  const records: RelayRecord[] = [
    telemetry(dev, 1, 1),
    telemetry(dev, 1, 2),
    // Same device, same device time, different (boot, seq): both must be kept.
    telemetry(dev, 2, 0, { ts: T0 + 2000 }),
    telemetry(dev, 2, 1, { ts: T0 + 2000 }),
    telemetry(other, 4, 7, { ts: null }),
    status(dev, 'online', 2, T0 + 1500),
    event(dev, { severity: 'alarm', type: 'over_temp', safety: true }),
    event(null),
    audit(dev),
    commandResult(dev),
    cook(dev),
  ];
  const body = batch(records);
  const before = {
    events: await meta.countRows('events'),
    audit: await meta.countRows('audit'),
    cmd: await meta.countRows('command_results'),
  };

  const visibleBefore = await observations('telemetry_visible_seconds');
  const first = await post(body);
  t.equal(first.status, 200, 'first delivery accepted');
  t.equal(await observations('telemetry_visible_seconds'), visibleBefore + 5, 'each committed reading is timed (receive → visible)');
  t.match(first.body, { ok: true, batchId: body.batchId, accepted: records.length, duplicates: 0 });
  const second = await post(body);
  t.equal(second.status, 200, 'the replay is accepted too');
  t.equal(second.body.duplicates, 5, 'and every id-keyed MySQL record is reported as a duplicate');

  const points = await pointsOf(c.cloud.stores, dev, T0 - 1000, T0 + 100_000);
  const keys = points.map((p) => `${p.boot}/${p.seq}`).sort();
  t.same(keys, ['1/1', '1/2', '2/0', '2/1'], 'each (device, boot, seq) is in InfluxDB exactly once');
  t.equal(points.find((p) => p.boot === 2 && p.seq === 1)?.ts, T0 + 2000, 'device time is the point time');
  const noClock = await pointsOf(c.cloud.stores, other, T0 - 1000, T0 + 100_000);
  t.same(
    noClock.map((p) => [p.ts, p.boot, p.seq]),
    [[T0 + 7000 + 5, 4, 7]],
    'without device time the gateway receive time is used',
  );

  t.equal(await meta.countRows('events'), before.events + 2, 'events stored once');
  t.equal(await meta.countRows('audit'), before.audit + 1, 'audit stored once');
  t.equal(await meta.countRows('command_results'), before.cmd + 1, 'command result stored once');
  const latest = (await latestOf(c.cloud.stores, [dev], T0 + 3000)).get(dev);
  t.match(latest, { boot: 2, seq: 1, gatewayId: creds.gateway.id, status: 'online' }, 'latest state is the newest record');
  t.ok(await state.gatewayAlive(creds.gateway.id), 'the gateway heartbeat is set');

  const replayOld = await post(batch([telemetry(dev, 1, 50, { tempC: 99 })]));
  t.equal(replayOld.status, 200);
  const after = (await latestOf(c.cloud.stores, [dev], T0 + 3000)).get(dev);
  t.match(after, { boot: 2, seq: 1 }, 'an older (boot, seq) arriving later does not overwrite newer state');
  t.notOk(
    c.logs.some((l) => l.includes(creds.gateway.token) || l.includes(creds.admin)),
    'no secret in the logs',
  );
});

t.test('Redis stopped: 503 with Retry-After; Redis back: the retry succeeds, stored once', async (t) => {
  const dev = uid('kit').toLowerCase();
  const body = batch([telemetry(dev, 1, 1), telemetry(dev, 1, 2), event(dev)]);
  const failsBefore = await metric('redis_fail_total');
  await servers.redis.stop();
  const res = await post(body);
  t.equal(res.status, 503, 'not a success while Redis is down');
  t.equal(res.body.error.code, 'SV_ERR_SINK_UNAVAILABLE');
  t.ok(
    res.body.error.details.some((d: string) => d.startsWith('redis:')),
    'the failed sink is named',
  );
  t.equal(res.headers.get('retry-after'), '3', 'Retry-After as configured');
  t.ok((await metric('redis_fail_total')) > failsBefore, 'redis_fail_total counted');
  const ready = await api(c.base, 'GET', '/readyz');
  t.equal(ready.status, 503, '/readyz reports the dependency');
  t.match(
    ready.body.checks.find((x: { role: string }) => x.role === 'state'),
    { ok: false, backend: 'redis' },
  );

  await servers.redis.start();
  const retry = await retryUntilOk(body);
  t.equal(retry.status, 200, 'the gateway retry of the same batch succeeds');
  t.equal(
    (await pointsOf(c.cloud.stores, dev, 0, T0 + 100_000)).length,
    2,
    'telemetry in InfluxDB once, though the first attempt wrote it',
  );
  t.match((await latestOf(c.cloud.stores, [dev], T0)).get(dev), { boot: 1, seq: 2 }, 'state is in Redis');
  const events = await meta.listEvents(DEFAULT_SCOPE, { deviceId: dev }, { limit: 10 });
  t.equal(events.items.length, 1, 'the event in MySQL once');
});

t.test('InfluxDB slowed past the sink timeout: 503 with Retry-After; healed: stored once', async (t) => {
  const dev = uid('kit').toLowerCase();
  const body = batch([telemetry(dev, 3, 10), telemetry(dev, 3, 11)]);
  servers.influx.slow(4000);
  const res = await post(body);
  t.equal(res.status, 503);
  t.equal(res.body.error.code, 'SV_ERR_SINK_UNAVAILABLE');
  t.ok(res.headers.get('retry-after'), 'Retry-After is set');
  t.ok(
    res.body.error.details.some((d: string) => d.startsWith('influx:')),
    'the slow sink is named',
  );
  servers.influx.heal();
  // A late write of the first attempt may still land: the replay overwrites the same points.
  const retry = await retryUntilOk(body);
  t.equal(retry.status, 200);
  await new Promise((r) => setTimeout(r, 500));
  t.equal((await pointsOf(c.cloud.stores, dev, 0, T0 + 100_000)).length, 2, 'each point once');
});

t.test('MySQL stopped: 503; back: the retry succeeds', async (t) => {
  const dev = uid('kit').toLowerCase();
  const body = batch([telemetry(dev, 1, 1), audit(dev)]);
  await servers.mysql.stop();
  const res = await post(body);
  t.equal(res.status, 503, 'no success without MySQL (the token cannot be checked, the audit not stored)');
  t.equal(res.body.error.code, 'SV_ERR_SINK_UNAVAILABLE');
  await servers.mysql.start();
  const retry = await retryUntilOk(body);
  t.equal(retry.status, 200);
  t.equal((await meta.listAudit(DEFAULT_SCOPE, { deviceId: dev }, { limit: 10 })).items.length, 1, 'the audit record once');
});

t.test('MySQL black-holed (packets vanish): 503, and once healed the pool is not pinned', async (t) => {
  const dev = uid('kit').toLowerCase();
  const body = batch([telemetry(dev, 1, 1), event(dev)]);
  servers.mysql.blackhole();
  const results = await Promise.all([post(body), post(body), post(body)]);
  t.same(
    results.map((r) => r.status),
    [503, 503, 503],
    'no success while MySQL does not answer',
  );
  t.ok(results.every((r) => r.headers.get('retry-after')));
  servers.mysql.heal();
  const retry = await retryUntilOk(body);
  t.equal(retry.status, 200, 'the retry succeeds after the heal');
  t.equal((await meta.listEvents(DEFAULT_SCOPE, { deviceId: dev }, { limit: 10 })).items.length, 1, 'the event once');
});

t.test("a device's last-seen time: MySQL's at most every ingest.lastSeenEveryS (30 s), the API's the latest reading's", async (t) => {
  const dev = uid('kit').toLowerCase();
  // Readings stamped after the cloud's clock: the claim of a new device writes the cloud's time, and the column keeps the later.
  const base = Date.now() + 600_000;
  const at = (s: number) => telemetry(dev, 1, s, { ts: base + s * 1000, rxTs: base + s * 1000 + 5 });
  t.equal((await post(batch([at(1)]))).status, 200);
  const first = base + 1000 + 5;
  t.equal((await meta.getDevice(DEFAULT_SCOPE, dev))?.lastSeenMs, first, 'the first sighting is written at once');
  // Within 30 s of the written one, MySQL keeps it; the API reads the latest state.
  t.equal((await post(batch([at(20)]))).status, 200);
  t.equal((await meta.getDevice(DEFAULT_SCOPE, dev))?.lastSeenMs, first, 'a sighting 19 s later is not written');
  const view = await api(c.base, 'GET', `/v1/devices/${dev}`, creds.admin);
  t.equal(view.body.lastSeenMs, base + 20_000 + 5, "GET /v1/devices/{id} says the latest reading's time");
  const list = await api(c.base, 'GET', '/v1/devices?limit=500', creds.admin);
  t.equal(list.body.items.find((d: { id: string }) => d.id === dev)?.lastSeenMs, base + 20_000 + 5, 'and so does the list');
  t.equal((await post(batch([at(31)]))).status, 200);
  t.equal((await meta.getDevice(DEFAULT_SCOPE, dev))?.lastSeenMs, base + 31_000 + 5, '30 s after the written one it is written again');
});
