import { join } from 'node:path';
import t, { type Test } from 'tap';
import { startMariaDb } from '../../test/harness/index.js';
import { audit, commandResult, cook, event, T0, uid } from '../testing/fixtures.js';
import { testConfig } from '../testing/servers.js';
import { MySqlDriver } from './mysql/mysql-driver.js';
import type { SqlDriver, SqlValue } from './sql/driver.js';
import { SqlMetaStore } from './sql/meta-store.js';
import { SqliteDriver } from './sqlite/sqlite-driver.js';
import type { MetaBatch, Scope } from './types.js';

/**
 * Device ids are per org, so many orgs have a `kit-1`. Each query one org makes about its device
 * (the device page's cook and command results, a history's cook steps, the cook list, events and
 * audit of a device) must be found through an index that leads with the org: otherwise org B's
 * query walks every org's rows of that id. Asserted on the plans MariaDB and SQLite choose with
 * org A holding many rows of the same id and org B a few, not on time.
 */
const TABLES = ['cooks', 'command_results', 'events', 'audit'];

/** Records every SELECT the store sends, with its parameters. */
function recording(d: SqlDriver): { driver: SqlDriver; seen: [string, readonly SqlValue[]][] } {
  const seen: [string, readonly SqlValue[]][] = [];
  const driver = new Proxy(d, {
    get(target, prop, receiver) {
      if (prop === 'query')
        return (sql: string, params: readonly SqlValue[] = []) => {
          seen.push([sql, params]);
          return target.query(sql, params);
        };
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return { driver, seen };
}

async function plansUseOrgIndexes(t: Test, raw: SqlDriver, onOpen: () => Promise<void>) {
  const { driver, seen } = recording(raw);
  const meta = new SqlMetaStore(driver, onOpen);
  await meta.open();
  t.teardown(() => meta.close());
  await meta.migrate();
  const A: Scope = { orgId: uid('orga').toLowerCase() };
  const B: Scope = { orgId: uid('orgb').toLowerCase() };
  const fill = async (scope: Scope, gateway: string, n: number) => {
    await meta.addOrg({ id: scope.orgId, name: scope.orgId, nowMs: T0 });
    await meta.addGateway({ id: gateway, name: gateway, orgId: scope.orgId, tokenHash: uid('h').padEnd(64, '0'), nowMs: T0 });
    for (let i = 0; i < n; i += 500) {
      const k = Math.min(500, n - i);
      const b: MetaBatch = {
        batchId: uid('b'),
        backlog: { records: 0, bytes: 0, oldestAgeMs: null, dropped: {} },
        devices: new Map([['kit-1', T0]]),
        events: Array.from({ length: k }, (_, j) => event('kit-1', { ts: T0 + i + j })),
        audit: Array.from({ length: k }, () => audit('kit-1')),
        commandResults: Array.from({ length: k }, () => commandResult('kit-1')),
        cooks: Array.from({ length: k }, (_, j) => ({ ...cook('kit-1', i + j + 1), id: `${uid('ck')}-v${i + j + 1}` })),
      };
      await meta.ingest(gateway, scope.orgId, b, T0);
    }
    await meta.resolveDevices(gateway, scope.orgId, [], ['kit-1'], T0);
  };
  await fill(A, uid('gwa').toLowerCase(), 3000);
  await fill(B, uid('gwb').toLowerCase(), 10);
  if (raw.dialect === 'mysql') for (const table of TABLES) await raw.run(`ANALYZE TABLE ${table}`);
  else await raw.run('ANALYZE');

  const page = { limit: 50 };
  const calls: [string, () => Promise<unknown>][] = [
    ['latestCook (the device page)', () => meta.latestCook(B, 'kit-1')],
    ['cookChanges (a history)', () => meta.cookChanges(B, 'kit-1', T0, T0 + 3_600_000)],
    ['nextCookStart (a cook record)', () => meta.nextCookStart(B, 'kit-1', T0)],
    ['cooksStarted (GET /v1/cooks)', () => meta.cooksStarted(B, T0 - 1, T0 + 3_600_000, 100)],
    ['listCommandResults', () => meta.listCommandResults(B, 'kit-1', page)],
    ['listEvents of a device', () => meta.listEvents(B, { deviceId: 'kit-1' }, page)],
    ['listAudit of a device', () => meta.listAudit(B, { deviceId: 'kit-1' }, page)],
  ];
  for (const [label, call] of calls) {
    seen.length = 0;
    await call();
    const selects = seen.filter(([sql]) => TABLES.some((table) => new RegExp(`FROM ${table}\\b`).test(sql)));
    t.ok(selects.length > 0, `${label}: reads ${TABLES.join('/')}`);
    for (const [sql, params] of selects) {
      const table = TABLES.find((x) => new RegExp(`FROM ${x}\\b`).test(sql)) as string;
      t.equal(await leadingColumn(raw, table, sql, params), 'org_id', `${label}: ${table} through an index that leads with org_id`);
    }
  }
}

/** The first column of the index the engine's plan uses for `table` (null: none, a scan). */
async function leadingColumn(d: SqlDriver, table: string, sql: string, params: readonly SqlValue[]): Promise<string | null> {
  if (d.dialect === 'mysql') {
    const plan = await d.query<{ table: string; key: string | null }>(`EXPLAIN ${sql}`, params);
    const key = plan.find((row) => row.table === table)?.key ?? null;
    if (key === null) return null;
    const cols = await d.query<{ Column_name: string }>(`SHOW INDEX FROM ${table} WHERE Key_name = ? AND Seq_in_index = 1`, [key]);
    return cols[0]?.Column_name ?? null;
  }
  const plan = await d.query<{ detail: string }>(`EXPLAIN QUERY PLAN ${sql}`, params);
  const step = plan.map((r) => r.detail).find((x) => new RegExp(`\\b${table}\\b`).test(x)) ?? '';
  return /USING (COVERING )?INDEX \w+ \(org_id=/.test(step) ? 'org_id' : null;
}

t.test('embedded (SQLite)', async (t) => {
  const config = testConfig(t, undefined, 'org-indexes');
  const d = new SqliteDriver(join(config.dataDir, 'cloud.db'));
  await plansUseOrgIndexes(t, d, async () => {});
});

t.test('production (MariaDB)', async (t) => {
  const mysql = await startMariaDb(t);
  const d = new MySqlDriver({ url: mysql.url, poolSize: 4, connectTimeoutMs: 5000, queryTimeoutMs: 30_000 });
  await plansUseOrgIndexes(t, d, () => d.open());
});
