import { Redis } from 'ioredis';
import t from 'tap';
import { createGateway, createOrg } from '../admin.js';
import { T0, telemetry } from '../testing/fixtures.js';
import { startServers, testConfig } from '../testing/servers.js';
import { closeStores, createStores, openStores } from './index.js';
import { RedisStateStore } from './redis/redis-store.js';
import { DEFAULT_ORG } from './types.js';

/**
 * Upgrade of the latest state and the embedded telemetry written before device ids were per org:
 * each kit's state lands under its own org (the org of the gateway that wrote it), its readings
 * stay readable as its org's series, and nothing of one org shows in another.
 */
t.test('redis: old dev:<id> keys move to their gateway’s org, once; a key of an unknown gateway stays', async (t) => {
  const servers = await startServers(t);
  const config = testConfig(t, servers, 'upst');
  const now = Date.now();
  // Meta first, as a running cloud has it: two orgs with a gateway each.
  const setup = createStores(config);
  await setup.meta.open();
  await setup.meta.migrate();
  const orgB = (await createOrg(setup.meta, 'upgrade-b', now)).id;
  const gwA = (await createGateway(setup.meta, 'up-a', DEFAULT_ORG, now)).id;
  const gwB = (await createGateway(setup.meta, 'up-b', orgB, now)).id;
  await setup.meta.close();

  const redis = new Redis(servers.redis.url);
  t.teardown(() => redis.disconnect());
  const old = (gw: string, temp: string) => ({
    seen: now,
    tboot: 1,
    tseq: 7,
    gw,
    rx: now,
    ts: now,
    temp,
    sensor: 'ok',
    heater: 1,
    rssi: -50,
  });
  await redis.hset('upst:dev:kit-a', old(gwA, '61.5'));
  await redis.hset('upst:dev:kit-b', old(gwB, '48.25'));
  await redis.hset('upst:dev:kit-lost', old('gw-nobody', '30'));
  await redis.zadd('upst:online', now, 'kit-a', now, 'kit-b', now, 'kit-lost');

  const stores = createStores(config);
  await openStores(stores);
  t.teardown(() => closeStores(stores));
  const a = await stores.state.latest(DEFAULT_ORG, ['kit-a', 'kit-b'], now);
  t.same([...a.keys()], ['kit-a'], "the default org has kit-a's state and not kit-b's");
  t.match(a.get('kit-a'), { gatewayId: gwA, boot: 1, seq: 7, tempC: 61.5, online: true });
  const b = await stores.state.latest(orgB, ['kit-a', 'kit-b'], now);
  t.same([...b.keys()], ['kit-b'], "org B has kit-b's state and not kit-a's");
  t.match(b.get('kit-b'), { gatewayId: gwB, tempC: 48.25 });
  t.same(await stores.state.onlineDevices(DEFAULT_ORG, now), ['kit-a'], "kit-a is in its org's online set");
  t.same(await stores.state.onlineDevices(orgB, now), ['kit-b'], "kit-b is in its org's online set");
  t.same(await redis.exists('upst:dev:kit-a', 'upst:dev:kit-b'), 0, 'the old keys are gone');
  t.same(await redis.zrange('upst:online', 0, -1), ['kit-lost'], 'only the unknown gateway’s kit is left in the old online set');
  t.equal(await redis.hget('upst:dev:kit-lost', 'temp'), '30', 'a key whose gateway is unknown is left as it was');
  t.equal(await redis.get('upst:keys'), '2', 'the keyspace is marked as upgraded');

  // A second start does not scan again: an old-style key written now (by nothing real) stays put.
  await redis.hset('upst:dev:kit-late', old(gwA, '20'));
  const again = new RedisStateStore({
    url: servers.redis.url,
    commandTimeoutMs: 1000,
    keyPrefix: 'upst:',
    heartbeatTtlS: 60,
    orgOfGateway: async () => DEFAULT_ORG,
  });
  await again.open();
  t.teardown(() => again.close());
  t.equal(await redis.exists('upst:dev:kit-late'), 1, 'upgraded once, not at every start');
});

t.test('embedded: the old device_state and telemetry tables are rebuilt per org, every row kept', async (t) => {
  const config = testConfig(t, undefined, 'upst-embedded');
  const now = Date.now();
  const stores = createStores(config);
  t.teardown(() => closeStores(stores));
  await stores.meta.open();
  await stores.meta.migrate();
  const orgB = (await createOrg(stores.meta, 'upgrade-b', now)).id;
  const gwB = (await createGateway(stores.meta, 'up-b', orgB, now)).id;
  t.same((await stores.meta.resolveDevices(gwB, orgB, [], ['kit-b'], now)).refused, new Map(), "kit-b is org B's");
  const db = stores.embedded?.db;
  if (!db) throw new Error('no embedded store');
  // The tables as the cloud made them before device ids were per org.
  db.exec(`CREATE TABLE device_state (device_id TEXT PRIMARY KEY, gateway_id TEXT, seen INTEGER NOT NULL,
      tboot INTEGER, tseq INTEGER, ts INTEGER, rx INTEGER, temp REAL, sensor TEXT, heater INTEGER, rssi INTEGER,
      sboot INTEGER, srx INTEGER, state TEXT, fw TEXT);
    CREATE TABLE telemetry (device_id TEXT NOT NULL, boot INTEGER NOT NULL, seq INTEGER NOT NULL,
      gateway_id TEXT NOT NULL, time_ms INTEGER NOT NULL, device_ts INTEGER NULL, rx_ts INTEGER NOT NULL, temperature REAL NULL,
      heater INTEGER NOT NULL, sensor TEXT NOT NULL, rssi INTEGER NULL, PRIMARY KEY (device_id, boot, seq)) WITHOUT ROWID;
    CREATE INDEX telemetry_device_time ON telemetry (device_id, time_ms);`);
  db.prepare(`INSERT INTO device_state (device_id, gateway_id, seen, tboot, tseq, ts, rx, temp, sensor, heater, rssi)
    VALUES ('kit-b', ?, ?, 2, 9, ?, ?, 57.5, 'ok', 0, -61)`).run(gwB, now, now, now);
  const row =
    db.prepare(`INSERT INTO telemetry (device_id, boot, seq, gateway_id, time_ms, device_ts, rx_ts, temperature, heater, sensor, rssi)
    VALUES ('kit-b', 2, ?, ?, ?, ?, ?, ?, 1, 'ok', -61)`);
  for (let seq = 1; seq <= 3; seq++) row.run(seq, gwB, T0 + seq * 1000, T0 + seq * 1000, T0 + seq * 1000 + 5, 50 + seq);

  await stores.state.open();
  await stores.telemetry.open();
  t.match((await stores.state.latest(orgB, ['kit-b'], now)).get('kit-b'), { gatewayId: gwB, boot: 2, seq: 9, tempC: 57.5 });
  t.equal((await stores.state.latest(DEFAULT_ORG, ['kit-b'], now)).size, 0, 'the default org has no kit-b');
  const series = { deviceId: 'kit-b', gatewayIds: await stores.meta.gatewayIdsOf(orgB) };
  t.same(
    (await stores.telemetry.points(series, 0, T0 + 10_000)).map((p) => [p.seq, p.temperature]),
    [
      [1, 51],
      [2, 52],
      [3, 53],
    ],
    "org B reads kit-b's old readings",
  );
  // Another org's kit-b at the same (boot, seq) is another reading now, not a replay.
  const gwA = (await createGateway(stores.meta, 'up-a', DEFAULT_ORG, now)).id;
  await stores.telemetry.write(gwA, [telemetry('kit-b', 2, 1, { tempC: 70 })]);
  t.same(
    (await stores.telemetry.points({ deviceId: 'kit-b', gatewayIds: [gwA] }, 0, T0 + 10_000)).map((p) => p.temperature),
    [70],
    "the default org's kit-b has its own reading",
  );
  t.equal((await stores.telemetry.points(series, 0, T0 + 10_000)).length, 3, "org B's readings are unchanged");
  t.same(
    db
      .prepare("SELECT name FROM sqlite_master WHERE name LIKE '%_v1'")
      .all()
      .map((r) => (r as { name: string }).name),
    [],
    'no old table is left',
  );
});
