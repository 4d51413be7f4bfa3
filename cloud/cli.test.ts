import { spawnSync } from 'node:child_process';
import t from 'tap';
import { startMariaDb } from '../test/harness/index.js';
import { hashSecret } from './auth/tokens.js';
import { closeStores, createStores, openStores } from './stores/index.js';
import { testConfig } from './testing/servers.js';

/** `sousvide cloud migrate | gateway add | gateway revoke | key add`, with `--json`, on SQLite and on MariaDB. */
const main = new URL('../cli/main.ts', import.meta.url).pathname;
const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, ['--import', 'tsx', main, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });

t.test('embedded: migrate, gateway add (token once, stored hashed), key add, revoke', async (t) => {
  const config = testConfig(t, undefined, 'cli');
  const dir = ['--data-dir', config.dataDir];
  const m = cli(['cloud', 'migrate', '--json', ...dir]);
  t.equal(m.status, 0, m.stderr);
  t.same(JSON.parse(m.stdout), { backend: 'sqlite', applied: [1, 2], current: 2 });
  t.same(JSON.parse(cli(['cloud', 'migrate', '--json', ...dir]).stdout).applied, [], 'a second run applies nothing');

  const g = cli(['cloud', 'gateway', 'add', 'kitchen-1', '--json', ...dir]);
  t.equal(g.status, 0, g.stderr);
  const gw = JSON.parse(g.stdout);
  t.same(Object.keys(gw).sort(), ['id', 'token']);
  t.equal(gw.id, 'kitchen-1');
  t.match(gw.token, /^svg_[A-Za-z0-9_-]{43}$/);
  const dup = cli(['cloud', 'gateway', 'add', 'kitchen-1', '--json', ...dir]);
  t.equal(dup.status, 1);
  t.equal(JSON.parse(dup.stderr).error.code, 'SV_ERR_CONFLICT');
  const badName = cli(['cloud', 'gateway', 'add', 'Bad Name!', '--json', ...dir]);
  t.equal(JSON.parse(badName.stderr).error.code, 'SV_ERR_VALIDATION');

  const k = cli(['cloud', 'key', 'add', '--role', 'operator', '--owner', 'oscar', '--json', ...dir]);
  t.equal(k.status, 0, k.stderr);
  const key = JSON.parse(k.stdout);
  t.same(Object.keys(key).sort(), ['id', 'key', 'role']);
  t.equal(key.role, 'operator');
  const noRole = cli(['cloud', 'key', 'add', '--json', ...dir]);
  t.equal(noRole.status, 2);
  t.equal(JSON.parse(noRole.stderr).error.code, 'SV_ERR_CLI_USAGE');
  t.equal(JSON.parse(cli(['cloud', 'key', 'add', '--role', 'root', '--json', ...dir]).stderr).error.code, 'SV_ERR_VALIDATION');

  const stores = createStores(config);
  await openStores(stores);
  t.match(await stores.meta.gatewayByTokenHash(hashSecret(gw.token)), { id: 'kitchen-1' }, 'only the hash is needed to find it');
  t.match(await stores.meta.apiKeyByHash(hashSecret(key.key)), { role: 'operator', owner: 'oscar' });
  await closeStores(stores);
  const db = spawnSync('grep', ['-c', gw.token, `${config.dataDir}/cloud.db`], { encoding: 'utf8' });
  t.equal(db.stdout.trim(), '0', 'the token itself is not in the database file');

  t.equal(cli(['cloud', 'gateway', 'revoke', 'kitchen-1', ...dir]).status, 0);
  t.equal(cli(['cloud', 'gateway', 'revoke', 'kitchen-1', ...dir]).status, 1, 'already revoked');
});

t.test('production: migrate and gateway add against MariaDB', async (t) => {
  const mysql = await startMariaDb(t);
  // directUrl: spawnSync blocks this process, and with it the harness's fault proxy.
  const env = { SV_CLOUD_MYSQL_URL: mysql.directUrl };
  const m = cli(['cloud', 'migrate', '--json'], env);
  t.equal(m.status, 0, m.stderr);
  t.same(JSON.parse(m.stdout), { backend: 'mysql', applied: [1, 2], current: 2 });
  const g = cli(['cloud', 'gateway', 'add', 'site-7', '--json'], env);
  t.equal(g.status, 0, g.stderr);
  t.equal(JSON.parse(g.stdout).id, 'site-7');
});
