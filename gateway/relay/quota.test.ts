import t from 'tap';
import { DEFAULT_SCOPE } from '../../cloud/stores/types.js';
import { pointsOf } from '../../cloud/testing/read-back.js';
import { createLogger } from '../../shared/log.js';
import type { RelayRecord } from '../../shared/relay/batch.js';
import { outboxRows, relayOnProxy } from '../../test/cloud-behind-proxy.js';
import { waitFor } from '../../test/harness/index.js';
import { telemetryOutboxRecord } from '../ingest/relay-records.js';
import { PRIORITY, type StoreItem } from '../store/items.js';
import { Relay } from './relay.js';

/**
 * Disk quota during an outage: the relay on a real store (the writer thread, as in the gateway)
 * and a real cloud. Telemetry over the quota is dropped and counted; every safety event and audit
 * record is delivered, and the drop counts arrive as an event.
 */
const QUOTA = 64 * 1024;
const { env, dataDir, store, opts } = await relayOnProxy(t, 'quota', {
  batchMaxRecords: 2000,
  batchMinRecords: 10,
  quotaBytes: QUOTA,
  statsIntervalMs: 100,
});

const write = (items: StoreItem[]) =>
  Promise.all(items.map((it) => new Promise<void>((res, rej) => store.write(it, (err) => (err ? rej(err) : res())))));

t.test('quota reached during an outage: telemetry dropped and counted, every event and audit delivered', async (t) => {
  env.proxy.set({ kind: 'refuse' });
  const relay = new Relay(opts, store, dataDir, createLogger({ name: 'relay-test', level: 'warn', pretty: false }));
  relay.start();
  t.teardown(() => relay.stop());

  const devices = ['kit-q0', 'kit-q1', 'kit-q2', 'kit-q3'];
  const protectedIds: string[] = [];
  const now = Date.now();
  const SEQS = 600; // 2,400 readings of ~200 bytes: about 7× the quota
  for (let seq = 0; seq < SEQS; seq += 100) {
    const items: StoreItem[] = [];
    for (let s = seq; s < seq + 100; s++) {
      for (const deviceId of devices) {
        const m = { v: 1 as const, boot: 1, seq: s, ts: now + s * 1000, tempC: 55.5, sensor: 'ok' as const, heater: true };
        items.push({
          t: 'tel',
          deviceId,
          boot: 1,
          seq: s,
          ts: m.ts,
          rxTs: m.ts,
          tempC: 55.5,
          sensor: 'ok',
          heater: true,
          rssi: undefined,
          outbox: telemetryOutboxRecord(deviceId, m, now),
        });
      }
    }
    // Among the telemetry, safety events and audit records (priority 0) the quota must never touch.
    for (let i = 0; i < 5; i++) {
      const id = `q-${seq}-${i}`;
      const rec: RelayRecord =
        i % 2 === 0
          ? {
              kind: 'event',
              id: `ev-${id}`,
              deviceId: 'kit-q0',
              type: 'over_temp',
              severity: 'critical',
              ts: now + seq,
              safety: true,
              data: { tempC: 96 },
            }
          : {
              kind: 'audit',
              id: `au-${id}`,
              ts: now + seq,
              actor: { type: 'watchdog' },
              deviceId: 'kit-q0',
              action: 'safe',
              reason: 'over temperature',
              data: {},
            };
      protectedIds.push(rec.id);
      items.push({ t: 'out', priority: PRIORITY.safety, kind: rec.kind, record: JSON.stringify(rec), ts: now + seq });
    }
    await write(items);
    await new Promise((r) => setTimeout(r, 150)); // let the quota check run between bursts
  }
  await waitFor(
    'quota enforced',
    async () => (relay.backlog.bytes <= QUOTA && relay.drops.totals['quota:telemetry'] ? true : undefined),
    20_000,
  );
  const dropped = relay.drops.totals['quota:telemetry'] ?? 0;
  t.ok(dropped > 0, `telemetry dropped over the quota: ${dropped}`);
  t.same(Object.keys(relay.drops.totals), ['quota:telemetry'], 'only telemetry was dropped');
  t.equal(outboxRows(dataDir, 'event') + outboxRows(dataDir, 'audit'), protectedIds.length, 'every event and audit record is still queued');

  env.proxy.set({ kind: 'pass' });
  await waitFor('drained', async () => (outboxRows(dataDir) === 0 ? true : undefined), 60_000);
  const meta = env.stores.meta;
  const events = await meta.listEvents(DEFAULT_SCOPE, { deviceId: 'kit-q0' }, { limit: 500 });
  const audit = await meta.listAudit(DEFAULT_SCOPE, { deviceId: 'kit-q0' }, { limit: 500 });
  const delivered = new Set([...events.items.map((e) => e.id), ...audit.items.map((a) => a.id)]);
  t.same(
    protectedIds.filter((id) => !delivered.has(id)),
    [],
    'every safety event and audit record is in MySQL',
  );
  let points = 0;
  for (const d of devices) points += (await pointsOf(env.stores, d, 0, now + 10_000_000)).length;
  t.equal(points, devices.length * SEQS - dropped, 'InfluxDB holds exactly the telemetry that was not dropped');
  const reports = (await meta.listEvents(DEFAULT_SCOPE, { type: 'relay_drop' }, { limit: 50 })).items;
  const reported = reports.reduce((a, e) => a + Number((e.data.dropped as Record<string, number>)['quota:telemetry'] ?? 0), 0);
  t.equal(reported, dropped, 'the drop counts reached the cloud as relay_drop events');
});
