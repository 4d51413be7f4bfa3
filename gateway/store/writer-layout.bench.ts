/**
 * What a stored reading costs the writer thread at 10,000 kits, and why: the store as it is (its
 * own migrations, pragmas and insert) against two layouts that were weighed and not adopted
 * (docs/benchmarks.md, "The writer's cost is pages, not rows").
 *
 * - `store`: the telemetry table keyed by (device_id, boot, seq). 10,000 kits reporting in turn
 *   put each reading of a group commit on a page of its own, and a commit writes each page it
 *   dirtied to the WAL in full.
 * - `append`: the same rows in a table with no key and no index (arrival order): the floor, with
 *   neither the idempotency key nor any way to find a kit's readings.
 * - `inbox:N`: each commit appends to an unindexed inbox; every N commits one transaction moves
 *   the inbox into the keyed table, sorted, so that each kit's page is written once per move.
 *
 * Each run: 10,000 kits in turn, 100 readings a group commit (10 ms at 10,000 msg/s), 6,000
 * commits of warm-up, then 6,000 measured. CPU (user + system) of this process per reading, on the
 * machine's own disk. Run: npx tsx gateway/store/writer-layout.bench.ts [layout ...]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { openStore } from './open.js';

const KITS = 10_000;
const PER_COMMIT = 100;
const WARM = 6000;
const MEASURED = 6000;

const COLUMNS = 'device_id, boot, seq, ts, rx_ts, temp_c, sensor, heater, rssi, late';
const INSERT = (table: string, verb = 'INSERT OR IGNORE') => `${verb} INTO ${table} (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

interface Result {
  layout: string;
  usPerReading: number;
  userUs: number;
  systemUs: number;
  /** Longest single transaction (a move, for the inbox layouts), ms. */
  longestMs: number;
}

function run(layout: string): Result {
  const dir = mkdtempSync(join(process.env.SV_BENCH_DIR ?? tmpdir(), 'sv-writer-layout-'));
  const db: Database = openStore(dir);
  try {
    const moveEvery = layout.startsWith('inbox:') ? Number(layout.slice(6)) : 0;
    if (layout === 'append') db.exec(`CREATE TABLE plain AS SELECT ${COLUMNS} FROM telemetry WHERE 0`);
    if (moveEvery > 0) db.exec(`CREATE TABLE inbox AS SELECT ${COLUMNS} FROM telemetry WHERE 0`);
    const target = layout === 'append' ? 'plain' : moveEvery > 0 ? 'inbox' : 'telemetry';
    const insert = db.prepare(INSERT(target, target === 'telemetry' ? 'INSERT OR IGNORE' : 'INSERT'));
    const ids = Array.from({ length: KITS }, (_, i) => `kit-${String(i).padStart(5, '0')}`);
    const seq = new Uint32Array(KITS);
    let k = 0;
    let rx = Date.now();
    const commit = db.transaction(() => {
      for (let j = 0; j < PER_COMMIT; j++, k++, rx++) {
        const d = k % KITS;
        const n = seq[d] ?? 0;
        seq[d] = n + 1;
        insert.run(ids[d], 1, n, rx, rx, 56 + (k % 100) / 50, 'ok', k % 2, -60, 0);
      }
    });
    const moveAll = db.transaction(() => {
      db.exec(`INSERT OR IGNORE INTO telemetry (${COLUMNS}) SELECT ${COLUMNS} FROM inbox ORDER BY device_id, boot, seq`);
      db.exec('DELETE FROM inbox');
    });
    let commits = 0;
    let longestMs = 0;
    const step = () => {
      const t = performance.now();
      commit();
      if (moveEvery > 0 && ++commits % moveEvery === 0) moveAll();
      longestMs = Math.max(longestMs, performance.now() - t);
    };
    for (let i = 0; i < WARM; i++) step();
    longestMs = 0;
    const c0 = process.cpuUsage();
    for (let i = 0; i < MEASURED; i++) step();
    const c = process.cpuUsage(c0);
    const n = MEASURED * PER_COMMIT;
    return { layout, usPerReading: (c.user + c.system) / n, userUs: c.user / n, systemUs: c.system / n, longestMs };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const layouts = process.argv.slice(2);
console.log('layout        µs CPU/reading (user + system)   longest transaction');
for (const layout of layouts.length > 0
  ? layouts
  : ['store', 'append', 'inbox:100', 'inbox:500', 'store', 'append', 'inbox:100', 'inbox:500']) {
  const r = run(layout);
  console.log(
    `${r.layout.padEnd(13)} ${r.usPerReading.toFixed(1).padStart(5)} (${r.userUs.toFixed(1)} + ${r.systemUs.toFixed(1)})`.padEnd(47) +
      `${r.longestMs.toFixed(0)} ms`,
  );
}
