import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { startMariaDb } from '../../test/harness/index.js';
import { hashSecret } from '../auth/tokens.js';
import { batch, telemetry } from '../testing/fixtures.js';
import { api, type RunningCloud, startCloud, startServers, tenant, testConfig } from '../testing/servers.js';
import { MySqlDriver } from './mysql/mysql-driver.js';
import type { SqlDriver } from './sql/driver.js';
import { SqlMetaStore } from './sql/meta-store.js';
import { MIGRATIONS } from './sql/migrations.js';
import { SqliteDriver } from './sqlite/sqlite-driver.js';
import { DEFAULT_ORG, DEFAULT_SCOPE } from './types.js';

/**
 * Upgrade: fixtures/cloud-v2.db was written by the single-tenant cloud (schema version 2). Started
 * on it (embedded) or on a MariaDB holding the same rows, the cloud migrates every row into the
 * default org, keeps the old credentials working, and binds each kit to the gateway that owned it;
 * another org may then have kits of the same ids without touching those.
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

async function checkUpgraded(t: Test, c: RunningCloud) {
  const { base } = c;
  const meta = c.cloud.stores.meta;
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

  // Device ids are per org (migration 9): a new org whose kitchen also names its kits kit-a and
  // kit-b has kits of its own, and the upgraded ones stay as they were.
  const kept = async () => ({
    devices: await Promise.all(['kit-a', 'kit-b'].map((id) => meta.getDevice(DEFAULT_SCOPE, id))),
    desired: await meta.getDesiredCook(DEFAULT_SCOPE, 'kit-a'),
  });
  const before = await kept();
  t.match(before, {
    devices: [
      { id: 'kit-a', orgId: DEFAULT_ORG, gatewayId: 'kitchen1', revokedMs: null },
      { id: 'kit-b', orgId: DEFAULT_ORG, gatewayId: 'kitchen2', revokedMs: null },
    ],
    desired: { cookId: 'cook-1', gatewayId: 'kitchen1' },
  });
  const newOrg = await tenant(c);
  const scope = { orgId: newOrg.orgId };
  const theirs = await api(
    base,
    'POST',
    '/v1/ingest',
    newOrg.gateway.token,
    batch([telemetry('kit-a', 1, 1), telemetry('kit-b', 1, 1)], 0),
  );
  t.equal(theirs.status, 200);
  t.equal(theirs.body.rejected, undefined, "the new org's gateway reports its own kit-a and kit-b");
  t.same(await meta.orgsOfDevice('kit-a'), [DEFAULT_ORG, newOrg.orgId].sort(), 'two orgs have a kit-a');
  t.match(await meta.getDevice(scope, 'kit-a'), { orgId: newOrg.orgId, gatewayId: newOrg.gateway.id, revokedMs: null });
  const audit = {
    id: `aud-${newOrg.orgId}`,
    orgId: newOrg.orgId,
    gatewayId: null,
    ts: Date.now(),
    actor: { type: 'cloud' as const },
    deviceId: 'kit-a',
    action: 'cook.set',
    reason: 'upgrade test',
    data: {},
  };
  t.match(await meta.setDesiredCook(scope, 'kit-a', { targetC: 61 }, 'cook-new', Date.now(), audit), {
    gatewayId: newOrg.gateway.id,
    cookId: 'cook-new',
  });
  t.same(await kept(), before, 'the upgraded kits and desired cook are unchanged');
  const mine = await api(base, 'POST', '/v1/ingest', creds.gw1, batch([telemetry('kit-a', 2, 3)], 0));
  t.equal(mine.body.rejected, undefined, 'the old owner still reports its kit-a');
  t.same(
    mine.body.desired.devices.map((d: { deviceId: string; cook: { id: string } | null }) => [d.deviceId, d.cook?.id]),
    [['kit-a', 'cook-1']],
    "and gets its own desired cook, not the new org's",
  );
  const theirsAgain = await api(base, 'POST', '/v1/ingest', newOrg.gateway.token, batch([telemetry('kit-a', 1, 2)], 0));
  t.same(
    theirsAgain.body.desired.devices.map((d: { deviceId: string; cook: { id: string } | null }) => [d.deviceId, d.cook?.id]),
    [['kit-a', 'cook-new']],
    "the new org's gateway gets its org's",
  );
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
  await checkUpgraded(t, c);
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
  await checkUpgraded(t, c);
});

/**
 * Migration 9 (device ids per org) on a store at version 8 that holds devices and desired cooks
 * of several orgs, one revoked, and ids that differ only in case: every row keeps every column,
 * its org among them, and the keys become (org_id, id) and (org_id, device_id).
 */
type Row = Record<string, string | number | null>;
const V8_DEVICES: Row[] = [
  { id: 'kit-1', gateway_id: 'acme-1', first_seen_ms: 1_000, last_seen_ms: 2_000, org_id: 'acme', revoked_ms: null },
  { id: 'kit-2', gateway_id: 'acme-2', first_seen_ms: 1_500, last_seen_ms: 2_500, org_id: 'acme', revoked_ms: 3_000 },
  { id: 'Kit-1', gateway_id: 'kitchen1', first_seen_ms: 1_100, last_seen_ms: 2_100, org_id: DEFAULT_ORG, revoked_ms: null },
  { id: 'kit-3', gateway_id: 'globex-1', first_seen_ms: 1_600, last_seen_ms: 2_600, org_id: 'globex', revoked_ms: null },
];
const V8_DESIRED: Row[] = [
  { device_id: 'kit-1', gateway_id: 'acme-1', cook_id: 'cook-1', version: 4, spec: '{"targetC":56.5}', updated_ts: 2_100, org_id: 'acme' },
  {
    device_id: 'Kit-1',
    gateway_id: 'kitchen1',
    cook_id: 'cook-k',
    version: 1,
    spec: '{"targetC":60}',
    updated_ts: 2_200,
    org_id: DEFAULT_ORG,
  },
  { device_id: 'kit-3', gateway_id: 'globex-1', cook_id: 'cook-3', version: 2, spec: null, updated_ts: 2_700, org_id: 'globex' },
];
const byOrgThenId = (key: string) => (x: Record<string, unknown>, y: Record<string, unknown>) =>
  `${x.org_id}\u0000${x[key]}` < `${y.org_id}\u0000${y[key]}` ? -1 : 1;

async function primaryKey(d: SqlDriver, table: string): Promise<string[]> {
  const sql =
    d.dialect === 'mysql'
      ? `SELECT column_name AS c FROM information_schema.key_column_usage
          WHERE table_schema = DATABASE() AND table_name = ? AND constraint_name = 'PRIMARY' ORDER BY ordinal_position`
      : 'SELECT name AS c FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk';
  return (await d.query<{ c: string }>(sql, [table])).map((r) => r.c);
}

/** Indexes made by the migrations (not the primary key's). */
async function indexes(d: SqlDriver, table: string): Promise<string[]> {
  const sql =
    d.dialect === 'mysql'
      ? `SELECT DISTINCT index_name AS c FROM information_schema.statistics
          WHERE table_schema = DATABASE() AND table_name = ? AND index_name <> 'PRIMARY' ORDER BY c`
      : "SELECT name AS c FROM pragma_index_list(?) WHERE origin = 'c' ORDER BY c";
  return (await d.query<{ c: string }>(sql, [table])).map((r) => r.c);
}

async function checkMigration9(t: Test, d: SqlDriver) {
  const meta = new SqlMetaStore(d);
  t.teardown(() => meta.close());
  t.same((await meta.migrate(8)).current, 8, 'a store at schema version 8');
  for (const org of ['acme', 'globex']) await meta.addOrg({ id: org, name: org, nowMs: 0 });
  for (const [id, orgId] of [
    ['acme-1', 'acme'],
    ['acme-2', 'acme'],
    ['globex-1', 'globex'],
    ['kitchen1', DEFAULT_ORG],
  ] as const) {
    await meta.addGateway({ id, name: id, orgId, tokenHash: hashSecret(id), nowMs: 0 });
  }
  const insert = async (table: string, rows: Row[]) => {
    for (const r of rows) {
      const cols = Object.keys(r);
      await d.run(`INSERT INTO ${table} (${cols.join(',')}) VALUES (${cols.map(() => '?').join(',')})`, Object.values(r));
    }
  };
  await insert('devices', V8_DEVICES);
  await insert('desired_cooks', V8_DESIRED);

  t.same(
    (await meta.migrate()).applied,
    MIGRATIONS.filter((m) => m.version > 8).map((m) => m.version),
    'migration 9 applied',
  );
  const read = async (table: string, rows: Row[], key: string) =>
    (await d.query(`SELECT ${Object.keys(rows[0] as object).join(', ')} FROM ${table}`)).sort(byOrgThenId(key));
  t.same(await read('devices', V8_DEVICES, 'id'), [...V8_DEVICES].sort(byOrgThenId('id')), 'every device row, every column, its org');
  t.same(await read('desired_cooks', V8_DESIRED, 'device_id'), [...V8_DESIRED].sort(byOrgThenId('device_id')), 'every desired cook');
  t.same(await primaryKey(d, 'devices'), ['org_id', 'id']);
  t.same(await primaryKey(d, 'desired_cooks'), ['org_id', 'device_id']);
  t.same(await indexes(d, 'devices'), ['devices_gateway', 'devices_id'], 'devices_org is the primary key now');
  t.same(await indexes(d, 'desired_cooks'), ['desired_cooks_gateway']);

  // Through the store: the same rows, found by org.
  t.match(await meta.getDevice({ orgId: 'acme' }, 'kit-2'), { gatewayId: 'acme-2', revokedMs: 3_000, firstSeenMs: 1_500 });
  t.equal(await meta.getDevice({ orgId: 'acme' }, 'Kit-1'), null, 'ids stay case-sensitive');
  t.match(await meta.getDesiredCook({ orgId: 'globex' }, 'kit-3'), { cookId: 'cook-3', spec: null, version: 2 });
  t.same(await meta.orgsOfDevice('kit-1'), ['acme']);
  // The same id in another org is now a device of its own; the same (org, id) twice is still refused.
  t.same([...(await meta.resolveDevices('globex-1', 'globex', [], ['kit-1', 'kit-2'], 5_000)).refused], [], "globex's own kit-1 and kit-2");
  t.same(await meta.orgsOfDevice('kit-1'), ['acme', 'globex']);
  const duplicate = { message: /duplicate|unique/i };
  await t.rejects(insert('devices', [{ ...V8_DEVICES[0], gateway_id: 'acme-2' }]), duplicate, 'one device per (org, id)');
  await t.rejects(insert('desired_cooks', [{ ...V8_DESIRED[0] }]), duplicate, 'one desired cook per (org, device)');
  t.same(
    await read('devices', V8_DEVICES, 'id').then((rows) => rows.filter((r) => r.org_id !== 'globex' || r.id === 'kit-3')),
    [...V8_DEVICES].sort(byOrgThenId('id')),
    "the other orgs' rows unchanged",
  );
}

t.test('migration 9 on SQLite: rows of several orgs at version 8', async (t) => {
  await checkMigration9(t, new SqliteDriver(':memory:'));
});

t.test('migration 9 on MariaDB: rows of several orgs at version 8', async (t) => {
  const mysql = await startMariaDb(t);
  await checkMigration9(t, new MySqlDriver({ url: mysql.url, poolSize: 2, connectTimeoutMs: 3000, queryTimeoutMs: 5000 }));
});
