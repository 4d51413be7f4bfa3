import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { SqliteDriver } from '../../cloud/stores/sqlite/sqlite-driver.js';
import { openStore } from '../../gateway/store/open.js';

/** The data dir is 0700 and the store files 0600, on the gateway and the cloud, also when the dir existed with a looser mode. */
const mode = (p: string) => statSync(p).mode & 0o777;
const root = mkdtempSync(join(tmpdir(), 'sv-private-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));

t.test('gateway store', async (t) => {
  const dir = join(root, 'gateway');
  mkdirSync(dir, { mode: 0o755 });
  const db = openStore(dir);
  db.prepare("INSERT INTO meta (key, value) VALUES ('probe', 1)").run();
  t.equal(mode(dir), 0o700);
  const files = readdirSync(dir).filter((f) => f.startsWith('gateway.sqlite'));
  t.same(files.sort(), ['gateway.sqlite', 'gateway.sqlite-shm', 'gateway.sqlite-wal']);
  for (const f of files) t.equal(mode(join(dir, f)), 0o600, f);
  db.close();
});

t.test('cloud embedded store', async (t) => {
  const dir = join(root, 'cloud');
  const d = new SqliteDriver(join(dir, 'cloud.db'));
  await d.run('CREATE TABLE probe (x INTEGER)');
  await d.run('INSERT INTO probe VALUES (1)');
  t.equal(mode(dir), 0o700);
  const files = readdirSync(dir);
  t.ok(files.includes('cloud.db-wal'));
  for (const f of files) t.equal(mode(join(dir, f)), 0o600, f);
  await d.close();
});
