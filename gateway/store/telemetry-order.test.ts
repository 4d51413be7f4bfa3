import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite, { type Database } from 'better-sqlite3';
import t, { type Test } from 'tap';
import { readingsCsv } from './cook-history.js';
import { historyBuckets } from './history.js';
import { DUPLICATE, type ItemOutcome, STORED, type StoreItem } from './items.js';
import { openStore, STORE_FILE } from './open.js';
import { migrate, SCHEMA_VERSION } from './schema.js';
import { MARK_EVERY, newestReading, READINGS_IN_RANGE, rangeParams } from './telemetry-order.js';
import { StoreWriter } from './writer.js';

interface Reading {
  deviceId: string;
  boot: number;
  seq: number;
  rxTs: number;
}

const tempOf = (seq: number) => 40 + ((seq * 7) % 200) / 10;
const item = (r: Reading): StoreItem => ({
  t: 'tel',
  deviceId: r.deviceId,
  boot: r.boot,
  seq: r.seq,
  ts: null,
  rxTs: r.rxTs,
  tempC: tempOf(r.seq),
  sensor: 'ok',
  heater: r.seq % 3 === 0,
  rssi: -60,
  outbox: null,
});

function writeAll(w: StoreWriter, readings: Reading[]): Promise<ItemOutcome[]> {
  return Promise.all(readings.map((r) => new Promise<ItemOutcome>((ok, fail) => w.write(item(r), (err, o) => (err ? fail(err) : ok(o))))));
}

type Row = { device_id: string; boot: number; seq: number; rx_ts: number; temp_c: number | null; heater: number; late: number };

/** The truth: every row of the range, by a plain filter over the whole table (no index involved). */
function truth(db: Database, deviceId: string, from: number, to: number): Row[] {
  return (db.prepare('SELECT * FROM telemetry NOT INDEXED').all() as Row[])
    .filter((r) => r.device_id === deviceId && r.rx_ts >= from && r.rx_ts < to)
    .sort((a, b) => a.rx_ts - b.rx_ts || a.boot - b.boot || a.seq - b.seq);
}

const key = (r: { boot: number; seq: number; rx_ts: number }) => `${r.rx_ts}/${r.boot}/${r.seq}`;

/** Every way the gateway reads a range, against the truth, over many ranges. */
function checkRanges(t: Test, db: Database, deviceIds: string[], lo: number, hi: number, rounds: number): void {
  let seed = 7;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  let mismatches = 0;
  let rowsSeen = 0;
  for (let i = 0; i < rounds; i++) {
    const deviceId = deviceIds[i % deviceIds.length]!;
    const a = Math.floor(lo + rnd() * (hi - lo));
    const b = i % 5 === 0 ? hi + 1 : Math.floor(a + rnd() * (hi - a) * 0.5) + 1;
    const want = truth(db, deviceId, a, b);
    rowsSeen += want.length;
    const got = db.prepare(`SELECT * FROM (${READINGS_IN_RANGE}) ORDER BY rx_ts, boot, seq`).all(rangeParams(db, deviceId, a, b)) as Row[];
    if (got.map(key).join() !== want.map(key).join()) {
      mismatches++;
      if (mismatches <= 3) t.same(got.map(key), want.map(key), `${deviceId} [${a}, ${b}): the range's rows`);
    }
  }
  t.equal(mismatches, 0, `${rounds} ranges read as the plain filter reads them`);
  t.ok(rowsSeen > rounds * 10, `the ranges held rows (${rowsSeen})`);
}

function checkInvariant(t: Test, db: Database): void {
  const rows = db.prepare('SELECT device_id, boot, seq, rx_ts FROM telemetry WHERE late = 0 ORDER BY device_id, boot, seq').all() as Row[];
  let broken = 0;
  for (let i = 1; i < rows.length; i++) {
    const p = rows[i - 1]!;
    const r = rows[i]!;
    if (p.device_id === r.device_id && r.rx_ts < p.rx_ts) broken++;
  }
  t.equal(broken, 0, `in-order rows (${rows.length}) are in receive order along the key`);
}

const fraction = (db: Database, where: string): number => {
  const { n, total } = db.prepare(`SELECT sum(${where}) AS n, count(*) AS total FROM telemetry`).get() as { n: number; total: number };
  return n / total;
};

t.test('in-order readings are found by key, late ones by their index, and every range reads as a plain filter', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sv-order-'));
  let w = new StoreWriter(dir);
  await w.open();
  t.teardown(() => w.close());

  const stream = (deviceId: string, boot: number, seqs: number[], rx0: number, step = 1000): Reading[] =>
    seqs.map((seq, i) => ({ deviceId, boot, seq, rxTs: rx0 + i * step }));
  const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);
  const T = 1_800_000_000_000;

  // kit-a: 0..99 live, offline for 100..149, 150..6599 live, then the kept 100..149 replayed.
  const a1 = [...stream('kit-a', 1, range(0, 100), T), ...stream('kit-a', 1, range(150, 3000), T + 150_000)];
  // kit-b: boot 5, then reflashed (boot 2: the counter went back), then boot 3.
  const b1 = [...stream('kit-b', 5, range(0, 400), T), ...stream('kit-b', 2, range(0, 300), T + 400_000)];
  // kit-c: the gateway's clock steps back 30 s after reading 500 for a while.
  const c1 = [...stream('kit-c', 1, range(0, 500), T), ...stream('kit-c', 1, range(500, 900), T + 470_000)];
  const outcomes = await writeAll(w, [...a1, ...b1, ...c1]);
  t.equal(outcomes.filter((o) => o === STORED).length, a1.length + b1.length + c1.length, 'all stored');

  // A restart: the chain starts again from the table.
  await w.close();
  w = new StoreWriter(dir);
  await w.open();
  const a2 = [
    ...stream('kit-a', 1, range(3000, 6600), T + 3_000_000),
    ...stream('kit-a', 1, range(100, 150), T + 6_600_000, 100), // the replay, after the live ones
  ];
  const b2 = stream('kit-b', 3, range(0, 200), T + 700_000);
  // (every reading after a restart is received after every reading before it)
  const c2 = stream('kit-c', 1, range(900, 1000), T + 3_000_000);
  const dups = [...stream('kit-a', 1, [5, 120, 6000], T + 7_000_000), ...stream('kit-b', 5, [10], T + 7_000_000)];
  const later = await writeAll(w, [...a2, ...b2, ...c2, ...dups]);
  t.equal(later.filter((o) => o === STORED).length, a2.length + b2.length + c2.length, 'the second part stored');
  t.same(
    later.slice(-dups.length),
    dups.map(() => DUPLICATE),
    'replays of stored readings stay duplicates (stored once)',
  );

  const db = openStore(dir, { readonly: true });
  t.teardown(() => db.close());
  checkInvariant(t, db);
  const inOrder = fraction(db, 'late = 0');
  t.ok(inOrder > 0.9, `most readings are stored in order (${(inOrder * 100).toFixed(1)} %)`);
  const replayLate = db
    .prepare("SELECT count(*) AS n FROM telemetry WHERE device_id = 'kit-a' AND seq >= 100 AND seq < 150 AND late = 1")
    .get() as {
    n: number;
  };
  t.equal(replayLate.n, 50, 'the replayed readings are late');
  const reflashed = db.prepare("SELECT count(*) AS n FROM telemetry WHERE device_id = 'kit-b' AND boot = 2 AND late = 1").get() as {
    n: number;
  };
  t.equal(reflashed.n, 300, 'the reflashed kit’s readings (boot went back) are late');
  const stepped = db.prepare("SELECT count(*) AS n FROM telemetry WHERE device_id = 'kit-c' AND late = 1").get() as { n: number };
  t.ok(stepped.n >= 29 && stepped.n <= 31, `readings received before the last one (clock stepped back) are late (${stepped.n})`);
  const marks = db.prepare(`SELECT count(*) AS n FROM telemetry WHERE late = 0 AND seq % ${MARK_EVERY} = 0`).get() as { n: number };
  t.ok(marks.n > 100, `one in ${MARK_EVERY} in-order readings is a mark (${marks.n})`);

  checkRanges(t, db, ['kit-a', 'kit-b', 'kit-c'], T - 10_000, T + 7_100_000, 300);

  // The CSV, over more than one page (5,000 rows), equals the plain filter.
  const lines = [...readingsCsv(db, 'kit-a', T - 1, T + 7_100_000)].join('').trim().split('\n');
  const want = truth(db, 'kit-a', T - 1, T + 7_100_000);
  t.equal(lines.length - 1, want.length, `the CSV has every row (${want.length}, more than a page)`);
  t.same(
    lines.slice(1).map((l) => {
      const [, boot, seq, , rx] = l.split(',');
      return `${rx}/${boot}/${seq}`;
    }),
    want.map(key),
    'the CSV rows, in receive order',
  );

  // History buckets (per minute) equal the plain aggregate.
  const from = T + 50_000;
  const to = T + 6_700_000;
  const buckets = historyBuckets(db, 'kit-a', from, to, 60_000);
  const rows = truth(db, 'kit-a', from, to);
  const byBucket = new Map<number, number[]>();
  for (const r of rows) {
    const b = r.rx_ts - (r.rx_ts % 60_000);
    byBucket.set(b, [...(byBucket.get(b) ?? []), r.temp_c as number]);
  }
  t.same(
    buckets.map((b) => [b.ts, b.count, b.min, b.max]),
    [...byBucket].map(([b, v]) => [b, v.length, Math.min(...v), Math.max(...v)]),
    'history buckets count every reading of the range once',
  );

  // The newest reading: the replay (late) came last for kit-a; kit-c's newest is in order.
  t.same(newestReading(db, 'kit-a'), {
    temp_c: tempOf(149),
    rx_ts: T + 6_600_000 + 4_900,
  });
  t.equal(newestReading(db, 'kit-c')?.rx_ts, T + 3_000_000 + 99_000);
});

t.test('a store from before the time marks: old rows count as late and every range still reads right', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sv-order-mig-'));
  const T = 1_800_000_000_000;
  {
    // Schema 5, as the previous build left it, with its readings.
    const old = new Sqlite(join(dir, STORE_FILE));
    old.pragma('journal_mode = WAL');
    t.equal(migrate(old, 5), 5);
    const ins = old.prepare(
      'INSERT INTO telemetry (device_id, boot, seq, ts, rx_ts, temp_c, sensor, heater, rssi) VALUES (?, 1, ?, NULL, ?, ?, ?, 0, NULL)',
    );
    old.transaction(() => {
      for (let s = 0; s < 400; s++) ins.run('kit-m', s, T + s * 1000, 50 + s / 100, 'ok');
    })();
    old.close();
  }
  const w = new StoreWriter(dir);
  await w.open(); // migrates
  t.teardown(() => w.close());
  const more = Array.from({ length: 400 }, (_, i) => ({ deviceId: 'kit-m', boot: 1, seq: 400 + i, rxTs: T + 400_000 + i * 1000 }));
  const outcomes = await writeAll(w, [...more, { deviceId: 'kit-m', boot: 1, seq: 3, rxTs: T + 900_000 }]);
  t.equal(outcomes.filter((o) => o === STORED).length, 400, 'new readings stored');
  t.equal(outcomes.at(-1), DUPLICATE, 'a replay of a reading stored before the migration is still a duplicate');

  const db = openStore(dir, { readonly: true });
  t.teardown(() => db.close());
  t.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION, 'migrated to the newest schema');
  const lateOld = db.prepare('SELECT count(*) AS n FROM telemetry WHERE seq < 400 AND late = 1').get() as { n: number };
  t.equal(lateOld.n, 400, 'the migrated rows are late (all in the late index)');
  const inOrderNew = db.prepare('SELECT count(*) AS n FROM telemetry WHERE seq >= 400 AND late = 0').get() as { n: number };
  t.equal(inOrderNew.n, 400, 'readings after the migration are in order');
  checkInvariant(t, db);
  checkRanges(t, db, ['kit-m'], T - 5000, T + 810_000, 100);
});
