import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import Sqlite from 'better-sqlite3';
import t from 'tap';
import { isSvError } from '../../shared/errors.js';
import { startGateway, telemetry } from '../testing/fixture.js';
import { backupStore } from './backup.js';
import { lockDataDir } from './lock.js';
import { STORE_FILE } from './open.js';

/**
 * `sousvide gateway backup` on a running gateway that keeps storing readings: the copy is a
 * private, consistent database with the readings acknowledged before it, and the targets that
 * would lose data or leak it are refused before anything is written.
 */
const out = mkdtempSync(join(tmpdir(), 'sv-backup-'));
t.teardown(() => rmSync(out, { recursive: true, force: true }));

async function refused(dataDir: string, target: string): Promise<string> {
  try {
    await backupStore(dataDir, target);
    return 'written';
  } catch (err) {
    if (!isSvError(err, 'SV_ERR_CLI_USAGE')) throw err;
    return err.message;
  }
}

t.test('a backup while readings arrive: private, consistent, with every reading acknowledged before it', async (t) => {
  const gw = await startGateway(t, { 'mqtt.publishRatePerDevice': 0 }); // 150 readings at once: no rate limit
  const secret = await gw.addKit('kit-bak');
  const kit = await gw.connect({ clientId: 'kit-bak', username: 'kit-bak', password: secret });
  t.teardown(() => kit.end(true));
  for (let seq = 0; seq < 50; seq++) await kit.publishAsync('sv/kit-bak/telemetry', telemetry({ seq, tempC: 50 + seq / 10 }), { qos: 1 });
  // More readings while the backup runs: they may or may not be in it, and the store keeps taking them.
  const more = (async () => {
    for (let seq = 50; seq < 150; seq++) await kit.publishAsync('sv/kit-bak/telemetry', telemetry({ seq, tempC: 55 }), { qos: 1 });
  })();
  const file = join(out, 'gw.db');
  const r = await backupStore(gw.dataDir, file);
  await more;
  t.equal(r.file, file);
  t.equal(statSync(file).mode & 0o777, 0o600, 'the copy is private, like the store');
  const copy = new Sqlite(file, { readonly: true });
  t.teardown(() => copy.close());
  t.equal(copy.pragma('integrity_check', { simple: true }) as string, 'ok');
  const seqs = (copy.prepare("SELECT seq FROM telemetry WHERE device_id = 'kit-bak' ORDER BY seq").all() as { seq: number }[]).map(
    (x) => x.seq,
  );
  t.same(
    seqs.slice(0, 50),
    Array.from({ length: 50 }, (_, i) => i),
    'every reading acknowledged before the backup, once',
  );
  t.ok(
    seqs.every((s, i) => s === i),
    'and a prefix of the rest: a snapshot, no gaps',
  );
  t.equal(
    (gw.db().prepare("SELECT count(*) AS n FROM telemetry WHERE device_id = 'kit-bak'").get() as { n: number }).n,
    150,
    'the live store kept every reading',
  );

  // A second backup replaces the first (a nightly job), privately again.
  await backupStore(gw.dataDir, file);
  const again = new Sqlite(file, { readonly: true });
  t.equal((again.prepare("SELECT count(*) AS n FROM telemetry WHERE device_id = 'kit-bak'").get() as { n: number }).n, 150);
  again.close();
  t.equal(statSync(file).mode & 0o777, 0o600);
});

t.test('targets that would lose or leak data are refused, and nothing is written', async (t) => {
  const gw = await startGateway(t);
  const notDb = join(out, 'notes.txt');
  writeFileSync(notDb, 'my notes\n');
  const dir = join(out, 'a-dir');
  mkdirSync(dir);
  const live = join(gw.dataDir, STORE_FILE);
  const before = readFileSync(live);
  t.equal(await refused(gw.dataDir, live), `file ${live}: is the gateway's live store; write the backup somewhere else`);
  t.equal(await refused(gw.dataDir, `${live}-wal`), `file ${live}-wal: is the gateway's live store; write the backup somewhere else`);
  t.same(readFileSync(live), before, 'the live store is untouched');
  t.equal(await refused(gw.dataDir, notDb), `file ${notDb}: exists and is not a SQLite database; refusing to overwrite it`);
  t.equal(readFileSync(notDb, 'utf8'), 'my notes\n', 'the file is untouched');
  t.equal(await refused(gw.dataDir, dir), `file ${dir}: is a directory; give a file name`);
  t.equal(
    await refused(gw.dataDir, join(out, 'nope', 'gw.db')),
    `file ${join(out, 'nope', 'gw.db')}: its directory ${join(out, 'nope')} does not exist`,
  );
  t.equal(await refused(gw.dataDir, ''), 'file: missing (where to write the backup)');
});

t.test('no target inside the data dir: the lock (a SQLite file too) stays, and a second gateway is still refused', async (t) => {
  const gw = await startGateway(t);
  const lock = join(gw.dataDir, 'gateway.lock');
  const before = readFileSync(lock);
  t.equal(
    await refused(gw.dataDir, lock),
    `file ${lock}: is inside the gateway's data dir ${realpathSync(gw.dataDir)} (the gateway's lock file); write the backup somewhere else`,
  );
  // The same file by a relative path and through a symlink.
  const rel = relative(process.cwd(), lock);
  t.match(await refused(gw.dataDir, rel), /is inside the gateway's data dir .* \(the gateway's lock file\)/);
  const link = join(out, 'lock-link');
  symlinkSync(lock, link);
  t.match(await refused(gw.dataDir, link), /is inside the gateway's data dir .* \(the gateway's lock file\)/);
  const key = join(gw.dataDir, 'tls', 'server.key');
  t.match(await refused(gw.dataDir, key), /\(the gateway's TLS keys and certificates\); write the backup somewhere else$/);
  const beside = join(gw.dataDir, 'backup.sqlite');
  t.match(await refused(gw.dataDir, beside), /is inside the gateway's data dir /);
  t.notOk(existsSync(beside), 'nothing written beside the store');
  t.same(readFileSync(lock), before, 'the lock file is untouched');
  t.throws(() => lockDataDir(gw.dataDir), { code: 'SV_ERR_DATA_DIR_IN_USE' }, 'and still keeps a second gateway out');
});
