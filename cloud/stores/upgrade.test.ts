import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { hashSecret } from '../auth/tokens.js';
import { batch, telemetry } from '../testing/fixtures.js';
import { api, startCloud, startServers, testConfig } from '../testing/servers.js';
import { MySqlDriver } from './mysql/mysql-driver.js';
import { SqlMetaStore } from './sql/meta-store.js';
import { MIGRATIONS } from './sql/migrations.js';
import { SqliteDriver } from './sqlite/sqlite-driver.js';
import { DEFAULT_ORG, DEFAULT_SCOPE, type MetaStore } from './types.js';

/**
 * Upgrade: fixtures/cloud-v2.db was written by the single-tenant cloud (schema version 2). Started
 * on it (embedded) or on a MariaDB holding the same rows, the cloud migrates every row into the
 * default org, keeps the old credentials working, and binds each kit to the gateway that owned it.
 */
const FIXTURE = new URL('./fixtures/cloud-v2.db', import.meta.url).pathname;
const creds = JSON.parse(readFileSync(new URL('./fixtures/cloud-v2.json', import.meta.url), 'utf8')) as {
  gw1: string;
  gw2: string;
  admin: string;
  viewer: string;
};
const TABLES = ['gateways', 'devices', 'events', 'audit', 'command_results', 'cooks', 'desired_cooks', 'api_keys', 'dead_letters'];
const LATEST = Math.max(...MIGRATIONS.map((m) => m.version));

async function checkUpgraded(t: Test, base: string, meta: MetaStore) {
  const v = await meta.migrate();
  t.same(v, { applied: [], current: LATEST }, 'migrated to the latest version at start');
  const devices = await api(base, 'GET', '/v1/devices', creds.admin);
  t.equal(devices.status, 200, 'the old admin key still works');
  t.same(
    await Promise.all(
      devices.body.items.map(async (d: { id: string; gatewayId: string }) => [
        d.id,
        d.gatewayId,
        (await meta.getDevice(DEFAULT_SCOPE, d.id))?.orgId,
      ]),
    ),
    [
      ['kit-a', 'kitchen1', DEFAULT_ORG],
      ['kit-b', 'kitchen2', DEFAULT_ORG],
    ],
  );
  t.match(await meta.gatewayByTokenHash(hashSecret(creds.gw1)), { id: 'kitchen1', orgId: DEFAULT_ORG });
  t.match(await meta.apiKeyByHash(hashSecret(creds.viewer)), { role: 'viewer', orgId: DEFAULT_ORG, gatewayId: null });
  t.same((await meta.listEvents(DEFAULT_SCOPE, {}, { limit: 10 })).items.map((e) => e.id).sort(), ['ev-a1', 'ev-b1']);
  t.same((await meta.listAudit(DEFAULT_SCOPE, {}, { limit: 10 })).items.map((a) => [a.id, a.orgId]).sort(), [
    ['au-a1', DEFAULT_ORG],
    ['aud-1', DEFAULT_ORG],
  ]);
  t.equal((await meta.listDeadLetters(DEFAULT_SCOPE, { limit: 10 })).items.length, 1);
  t.match(await meta.getDesiredCook(DEFAULT_SCOPE, 'kit-a'), { cookId: 'cook-1', gatewayId: 'kitchen1' });
  t.match(await meta.latestCook(DEFAULT_SCOPE, 'kit-b'), { gatewayId: 'kitchen2' });
  t.equal((await meta.listCommandResults(DEFAULT_SCOPE, 'kit-a', { limit: 10 })).items.length, 1);

  const own = await api(base, 'POST', '/v1/ingest', creds.gw1, batch([telemetry('kit-a', 2, 1)], 0));
  t.equal(own.status, 200);
  t.equal(own.body.rejected, undefined, 'the old owner keeps reporting its kit');
  t.match(own.body.desired.devices, [{ deviceId: 'kit-a', cook: { id: 'cook-1' } }], 'and gets its desired cook');
  const other = await api(base, 'POST', '/v1/ingest', creds.gw2, batch([telemetry('kit-a', 2, 2)], 0));
  t.same(
    other.body.rejected.map((r: { index: number }) => r.index),
    [0],
    'the other gateway of the old store can no longer write for kit-a',
  );
  t.notMatch(JSON.stringify(other.body.desired), 'kit-a');
}

t.test('embedded: a store written by the single-tenant cloud', async (t) => {
  const config = testConfig(t, undefined, 'upgrade');
  copyFileSync(FIXTURE, join(config.dataDir, 'cloud.db'));
  const before = new SqliteDriver(join(config.dataDir, 'cloud.db'));
  t.same(
    (await before.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).map((r) => r.version),
    [1, 2],
    'the fixture is at schema version 2',
  );
  await before.close();
  const c = await startCloud(t, config);
  await checkUpgraded(t, c.base, c.cloud.stores.meta);
});

t.test('MariaDB: the same rows at schema version 2', async (t) => {
  const servers = await startServers(t);
  const url = servers.mysql.url;
  const driver = new MySqlDriver({ url, poolSize: 2, connectTimeoutMs: 3000, queryTimeoutMs: 5000 });
  const old = new SqlMetaStore(driver);
  t.same((await old.migrate(2)).applied, [1, 2], 'the single-tenant schema');
  const src = new SqliteDriver(FIXTURE);
  for (const table of TABLES) {
    const rows = await src.query(`SELECT * FROM ${table}`);
    for (const r of rows) {
      const cols = Object.keys(r);
      await driver.run(
        `INSERT INTO ${table} (${cols.join(',')}) VALUES (${cols.map(() => '?').join(',')})`,
        cols.map((k) => r[k] as string | number | null),
      );
    }
  }
  await src.close();
  await old.close();
  const c = await startCloud(t, testConfig(t, servers, 'upgrade'));
  await checkUpgraded(t, c.base, c.cloud.stores.meta);
});
