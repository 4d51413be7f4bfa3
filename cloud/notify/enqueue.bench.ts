/**
 * What queuing notifications adds to the meta store's ingest transaction (embedded SQLite, one
 * process): batches of 100 events that notify nothing, that would notify in an org without
 * channels, and that notify through 3 channels (100 notifications + 300 delivery rows).
 * Run: npx tsx cloud/notify/enqueue.bench.ts (numbers in docs/benchmarks.md; compare the ratios).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqlMetaStore } from '../stores/sql/meta-store.js';
import { SqliteDriver } from '../stores/sqlite/sqlite-driver.js';
import { event, uid } from '../testing/fixtures.js';

const d = new SqliteDriver(join(mkdtempSync(join(tmpdir(), 'cnb-')), 'cloud.db'));
const meta = new SqlMetaStore(d);
await meta.migrate();
const now = Date.now();
for (const o of ['with', 'without']) await meta.addOrg({ id: o, name: o, nowMs: now });
for (let i = 0; i < 3; i++)
  await meta.notify.addChannel(
    { orgId: 'with' },
    { id: `nch-00000000000${i}`, spec: { kind: 'ntfy', url: 'https://x.example/t' }, nowMs: now },
  );
const kit = 'kit-bench';
const mk = (type: string) => ({
  batchId: uid('b'),
  backlog: { records: 0, bytes: 0, oldestAgeMs: null, dropped: {} },
  devices: new Map([[kit, now]]),
  events: Array.from({ length: 100 }, () => event(kit, { type, ts: now - 1000, data: { targetC: 56 } })),
  audit: [],
  commandResults: [],
  cooks: [],
});
async function run(label: string, org: string, type: string, n = 150) {
  for (let i = 0; i < 20; i++) await meta.ingest('gw', org, mk(type), now);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await meta.ingest('gw', org, mk(type), now);
  const ms = (performance.now() - t0) / n;
  console.log(`${label}: ${ms.toFixed(2)} ms per batch of 100 events`);
  return ms;
}
for (let round = 0; round < 2; round++) {
  const base = await run('heating events (not notifiable), org with 3 channels', 'with', 'heating');
  const noCh = await run('reached events, org without channels', 'without', 'reached');
  const withCh = await run('reached events, org with 3 channels (100 notifications + 300 deliveries)', 'with', 'reached');
  console.log(`ratios: no-channel/base ${(noCh / base).toFixed(2)}, 3-channels/base ${(withCh / base).toFixed(2)}`);
}
await d.close();
