import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { DUPLICATE, type ItemOutcome, STORED, type StoreItem } from './items.js';
import { openStore } from './open.js';
import { StoreWriter } from './writer.js';

const tel = (seq: number, rxTs: number, outbox: string | null = null, deviceId = 'kit-st1'): StoreItem => ({
  t: 'tel',
  deviceId,
  boot: 1,
  seq,
  ts: null,
  rxTs,
  tempC: 50,
  sensor: 'ok',
  heater: false,
  rssi: undefined,
  outbox,
});

function write(w: StoreWriter, item: StoreItem): Promise<ItemOutcome> {
  return new Promise((resolve, reject) => w.write(item, (err, outcome) => (err ? reject(err) : resolve(outcome))));
}

t.test('group commit, dedupe, retention, outbox ack and quota eviction on the writer thread', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sv-store-'));
  const w = new StoreWriter(dir);
  await w.open();
  t.teardown(() => w.close());
  const db = openStore(dir, { readonly: true });
  t.teardown(() => db.close());

  const outcomes = await Promise.all(Array.from({ length: 500 }, (_, i) => write(w, tel(i, 1000 + i, `{"n":${i}}`))));
  t.equal(outcomes.filter((o) => o === STORED).length, 500, '500 readings in a few group commits');
  t.equal(await write(w, tel(7, 5000)), DUPLICATE, 'a replayed (device, boot, seq) is a duplicate');
  t.equal((db.prepare('SELECT count(*) AS n FROM telemetry').get() as { n: number }).n, 500);
  t.equal((db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n, 500, 'each stored reading queued once in the outbox');

  // Protected rows: an audit record and a safety event are never evicted.
  await write(w, {
    t: 'audit',
    id: 'au-1',
    ts: 2000,
    actor: 'watchdog',
    actorId: null,
    deviceId: 'kit-st1',
    action: 'safe',
    reason: 'over_temp',
    data: '{}',
    outbox: '{"a":1}',
  });
  await write(w, {
    t: 'event',
    id: 'ev-1',
    deviceId: 'kit-st1',
    type: 'over_temp',
    severity: 'alarm',
    safety: true,
    ts: 2000,
    data: '{}',
    outbox: '{"e":1}',
  });
  const evicted = await w.outboxEvict(200);
  t.ok((evicted.telemetry ?? 0) > 400, `the oldest bulk telemetry was evicted (${evicted.telemetry})`);
  const left = db.prepare('SELECT kind, priority FROM outbox ORDER BY id').all() as { kind: string; priority: number }[];
  t.ok(left.some((r) => r.kind === 'audit') && left.some((r) => r.kind === 'event'), 'audit and safety events stay');
  t.ok(
    (db.prepare('SELECT coalesce(sum(bytes),0) AS b FROM outbox WHERE priority >= 1').get() as { b: number }).b <= 200,
    'bulk fits the quota',
  );
  const everything = await w.outboxEvict(0);
  t.notOk('audit' in everything || 'event' in everything, 'even a zero quota never evicts protected rows');

  const ids = (db.prepare('SELECT id FROM outbox').all() as { id: number }[]).map((r) => r.id);
  t.equal(await w.outboxAck(ids), ids.length, 'acknowledged rows are deleted');
  t.equal((db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n, 0);

  const deleted = await w.retention(1100, 1_000_000);
  t.equal(deleted, 100, 'retention drops history older than the cut-off');
  const capped = await w.retention(0, 50);
  t.equal(capped, 350, 'and caps the number of rows, oldest first');
  t.equal((db.prepare('SELECT min(seq) AS s FROM telemetry').get() as { s: number }).s, 450, 'the newest rows remain');
});

t.test('the writer thread dies: what waits fails at once, and so does every later write (fail fast)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sv-store-'));
  const w = new StoreWriter(dir);
  await w.open();
  t.teardown(() => w.close());
  t.equal(await write(w, tel(1, 1000)), STORED, 'the writer works');
  // Injected fault: the thread ends under the writer (as if it crashed). It is busy with a group
  // commit of 5,000 readings when the request is sent, so the request cannot have been answered
  // before the thread ends (on an idle thread a quick request could win that race).
  const thread = (w as unknown as { thread: { worker: { terminate(): Promise<number> } } }).thread;
  const ahead = Array.from({ length: 5000 }, (_, i) => write(w, tel(10 + i, 2000 + i)).catch(() => 'gone'));
  await new Promise((r) => setImmediate(r)); // the writer has handed them to its thread as one commit
  const waiting = w.retention(0, 1);
  await thread.worker.terminate();
  await t.rejects(waiting, /store writer thread exited/, 'a request in flight fails with the reason');
  await Promise.all(ahead);
  await t.rejects(write(w, tel(2, 1001)), /store writer thread exited/, 'a later write fails too, instead of waiting forever');
  await t.rejects(w.outboxAck([1]), /store writer thread exited/, 'and every maintenance request');
});

t.test('store.commitIntervalMs: under load what arrives soon after a commit shares the next one; close does not wait', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sv-store-iv-'));
  const w = new StoreWriter(dir, 2, 5000, 5_000);
  const commits: number[] = [];
  w.onCommit = (items) => commits.push(items);
  await w.open();
  const db = openStore(dir, { readonly: true });
  t.teardown(() => db.close());

  t.equal(await write(w, tel(1, 1000)), STORED, 'idle: the first reading commits at once');
  // Within the interval of that commit's start: these two wait and go together, in one commit.
  const second = [write(w, tel(2, 1001)), write(w, tel(3, 1002))];
  await new Promise((r) => setTimeout(r, 50));
  t.equal(w.queued, 2, 'both wait for the next commit');
  t.same(commits.slice(-1), [1]);
  // Closing commits what waits without waiting for the interval (nothing acknowledged is lost).
  await w.close();
  t.same(await Promise.all(second), [STORED, STORED]);
  t.same(commits.slice(-1), [2], 'the waiting readings went in one commit');
  t.equal((db.prepare("SELECT count(*) AS n FROM telemetry WHERE device_id = 'kit-st1'").get() as { n: number }).n, 3);
});

t.test('another process writing the store (the CLI adding a device) makes a commit wait, never fail', async (t) => {
  // The writer reads before it writes (a device's newest reading, the first time it is seen, to
  // tell an in-order reading from a late one). A transaction that reads first and then finds the
  // write lock taken gets SQLITE_BUSY at once, without the busy timeout: every reading in that
  // commit went unacknowledged and its kit was disconnected. The writer now takes the write lock
  // first (BEGIN IMMEDIATE), so it waits for the other writer like any other.
  const dir = mkdtempSync(join(tmpdir(), 'sv-store-'));
  const w = new StoreWriter(dir);
  await w.open();
  t.teardown(() => w.close());
  const other = openStore(dir);
  t.teardown(() => other.close());

  for (const [i, deviceId] of ['kit-new1', 'kit-new2', 'kit-new3'].entries()) {
    other.exec('BEGIN IMMEDIATE'); // the CLI's insert holds the write lock
    const pending = write(w, tel(0, 10_000 + i, null, deviceId)).then(
      (o) => o,
      (err: Error) => err.message,
    );
    await new Promise((r) => setTimeout(r, 300)); // the writer reaches the lock while it is held
    other.prepare('INSERT INTO meta (key, value) VALUES (?, 1) ON CONFLICT (key) DO UPDATE SET value = value + 1').run(`cli-${i}`);
    other.exec('COMMIT');
    t.equal(await pending, STORED, `${deviceId}'s first reading waited for the other writer and was stored`);
  }
  t.same(
    other.prepare("SELECT device_id FROM telemetry WHERE device_id LIKE 'kit-new%' ORDER BY device_id").all(),
    [{ device_id: 'kit-new1' }, { device_id: 'kit-new2' }, { device_id: 'kit-new3' }],
    'every reading is in the store once',
  );
  t.equal(
    (other.prepare("SELECT count(*) AS n FROM meta WHERE key LIKE 'cli-%'").get() as { n: number }).n,
    3,
    "and so is the other writer's work",
  );
});
