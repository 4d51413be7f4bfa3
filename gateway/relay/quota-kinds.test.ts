import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import t from 'tap';
import { SvError } from '../../shared/errors.js';
import { createLogger } from '../../shared/log.js';
import { waitFor } from '../../test/harness/index.js';
import { PRIORITY, type StoreItem } from '../store/items.js';
import { STORE_FILE } from '../store/open.js';
import { StoreWriter } from '../store/writer.js';
import { relayReceiver } from '../testing/relay-receiver.js';
import { Relay } from './relay.js';

/**
 * What the disk quota may evict (docs/sync.md, ADR 083), on a real store and a real HTTP receiver
 * in the cloud's place: first the status records a newer one of the same kit supersedes, then the
 * oldest telemetry, then the kits' latest status; never a cook record or an event, whatever its
 * lane (cook records and non-safety events share priority 1 with status). Once the link is back
 * the receiver gets the cook, the events and each kit's latest status, exactly once.
 */
const QUOTA = 15_000;
const KITS = 30;
const STATUSES = 200;
const READINGS = 100;

t.test('over the quota: superseded status, then the oldest telemetry; cooks and events kept and delivered once', async (t) => {
  let down = true;
  const rx = await relayReceiver(() => (down ? new SvError('SV_ERR_SINK_UNAVAILABLE') : 'ok'));
  const dataDir = mkdtempSync(join(tmpdir(), 'sv-relay-quota-kinds-'));
  const store = new StoreWriter(dataDir);
  await store.open();
  const relay = new Relay(
    {
      url: rx.url,
      token: 'svg_test',
      batchMaxRecords: 1000,
      batchMinRecords: 1,
      batchMaxBytes: 1 << 20,
      lingerMs: 20,
      idleSyncMs: 500,
      requestTimeoutMs: 5000,
      targetLatencyMs: 2000,
      backoffBaseMs: 50,
      backoffMaxMs: 300,
      quotaBytes: QUOTA,
      statsIntervalMs: 100,
      dropReportMs: 60_000,
    },
    store,
    dataDir,
    createLogger({ name: 'relay-test', level: 'silent', pretty: false }),
  );
  t.teardown(async () => {
    await relay.stop();
    await store.close();
    await rx.close();
  });
  const write = (items: StoreItem[]) =>
    Promise.all(items.map((it) => new Promise<void>((res, rej) => store.write(it, (err) => (err ? rej(err) : res())))));
  const q = <T>(sql: string): T[] => {
    const db = new Sqlite(join(dataDir, STORE_FILE), { readonly: true });
    try {
      return db.prepare(sql).all() as T[];
    } finally {
      db.close();
    }
  };

  // A kitchen cook started and finished during the outage (the writer's own 'cook' and 'event' items)…
  const now = Date.now();
  const spec = { targetC: 57, holdMin: 60 };
  const cookRecord = {
    kind: 'cook',
    id: 'cook-k1-v1-heating',
    deviceId: 'kit-0',
    version: 1,
    state: 'heating',
    spec,
    startedTs: now,
    updatedTs: now,
  };
  const event = (id: string, type: string, severity: string, safety: boolean): StoreItem => ({
    t: 'event',
    id,
    deviceId: 'kit-0',
    type,
    severity,
    safety,
    ts: now,
    data: '{}',
    notify: null,
    alarm: null,
    outbox: JSON.stringify({ kind: 'event', id, deviceId: 'kit-0', type, severity, ts: now, safety, data: {} }),
  });
  await write([
    {
      t: 'cook',
      deviceId: 'kit-0',
      id: 'cook-k1',
      version: 1,
      state: 'heating',
      spec: JSON.stringify(spec),
      startedTs: now,
      updatedTs: now,
      reachedTs: null,
      doneTs: null,
      outbox: JSON.stringify(cookRecord),
    },
    event('ev-reached', 'reached', 'info', false),
    event('ev-past', 'pasteurized', 'info', false),
    event('ev-ot', 'over_temp', 'critical', true),
  ]);
  // …then kits flapping on a bad Wi-Fi (status records) and readings fill the quota.
  const statuses: StoreItem[] = [];
  for (let i = 0; i < STATUSES; i++) {
    const deviceId = `kit-${i % KITS}`;
    const state = i % 2 ? 'online' : 'offline';
    const st = { kind: 'status', id: `st-${i}`, deviceId, state, boot: 1, rxTs: now + i };
    statuses.push({ t: 'status', deviceId, state, boot: 1, fw: null, profile: null, rxTs: now + i, outbox: JSON.stringify(st) });
  }
  await write(statuses);
  const readings: StoreItem[] = [];
  for (let seq = 1; seq <= READINGS; seq++) {
    const rec = {
      kind: 'telemetry',
      deviceId: 'kit-0',
      boot: 1,
      seq,
      ts: now + seq,
      rxTs: now + seq,
      tempC: 57,
      sensor: 'ok',
      heater: true,
    };
    readings.push({ t: 'out', priority: PRIORITY.bulk, kind: 'telemetry', record: JSON.stringify(rec), ts: now + seq });
  }
  await write(readings);
  const before = q<{ b: number }>('SELECT sum(bytes) AS b FROM outbox')[0]?.b ?? 0;
  t.ok(before > 2 * QUOTA, `the outbox is well over the quota (${before} B)`);

  relay.start();
  await waitFor('evicted', async () => (relay.drops.totals['quota:status'] ? true : undefined), 10_000);
  await waitFor(
    'under the quota',
    async () => ((q<{ b: number }>('SELECT sum(bytes) AS b FROM outbox')[0]?.b ?? 0) <= QUOTA ? true : undefined),
    10_000,
  );

  const left = (kind: string) =>
    q<{ record: string }>(`SELECT record FROM outbox WHERE kind = '${kind}' ORDER BY id`).map((r) => JSON.parse(r.record));
  t.same(
    left('cook').map((r) => r.id),
    ['cook-k1-v1-heating'],
    'the cook record is kept',
  );
  t.same(
    left('event')
      .map((r) => r.id)
      .sort(),
    ['ev-ot', 'ev-past', 'ev-reached'],
    'every event is kept (pasteurized and reached too)',
  );
  const status = left('status');
  const latest = new Map<string, string>();
  for (let i = 0; i < STATUSES; i++) latest.set(`kit-${i % KITS}`, `st-${i}`);
  t.same(status.map((r) => r.id).sort(), [...latest.values()].sort(), 'exactly the latest status of each kit is kept');
  const seqs = left('telemetry').map((r) => r.seq as number);
  t.ok(seqs.length < READINGS, `telemetry evicted (${READINGS - seqs.length})`);
  t.same(
    seqs,
    Array.from({ length: seqs.length }, (_, i) => READINGS - seqs.length + 1 + i),
    'the oldest readings went first',
  );
  t.same(
    relay.drops.totals,
    { 'quota:status': STATUSES - KITS, 'quota:telemetry': READINGS - seqs.length },
    'only status and telemetry dropped, counted',
  );
  t.same(
    q<{ reason: string; total: number }>('SELECT reason, total FROM relay_drops ORDER BY reason'),
    [
      { reason: 'quota:status', total: STATUSES - KITS },
      { reason: 'quota:telemetry', total: READINGS - seqs.length },
    ],
    'the counts are in the store',
  );

  down = false;
  await waitFor('drained', async () => (q<{ n: number }>('SELECT count(*) AS n FROM outbox')[0]?.n === 0 ? true : undefined), 10_000);
  const got = rx.records();
  const ids = (kind: string) => got.filter((r) => r.kind === kind).map((r) => (kind === 'telemetry' ? r.seq : r.id));
  t.same(ids('cook'), ['cook-k1-v1-heating'], 'the cook record reached the receiver once');
  t.same(
    (ids('event') as string[]).filter((id) => !id.startsWith('drop-')).sort(),
    ['ev-ot', 'ev-past', 'ev-reached'],
    'each event reached it once',
  );
  t.same((ids('status') as string[]).sort(), [...latest.values()].sort(), "each kit's latest status reached it once");
  t.same(ids('telemetry'), seqs, 'the readings not evicted reached it once, in order');
  t.match(
    got.filter((r) => r.type === 'relay_drop'),
    [{ data: { dropped: { 'quota:status': STATUSES - KITS, 'quota:telemetry': READINGS - seqs.length } } }],
    'and the drops were reported',
  );
});
