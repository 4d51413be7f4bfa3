import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { latestOf, pointsOf } from '../../cloud/testing/read-back.js';
import { createLogger } from '../../shared/log.js';
import { cloudBehindProxy, outboxRows } from '../../test/cloud-behind-proxy.js';
import { waitFor } from '../../test/harness/index.js';
import { PRIORITY, type StoreItem } from '../store/items.js';
import { StoreWriter } from '../store/writer.js';
import type { RelayOptions } from './options.js';
import { Relay } from './relay.js';

/**
 * Two batches on the wire (ADR 022): the cloud commits both, the 2xx of the first is lost, the
 * second is delivered. The first is resent unchanged (same batch id: the cloud's dead letters,
 * keyed by batch id and index, hold each invalid record once) and every reading is stored once.
 */
const env = await cloudBehindProxy(t, 'pipeline');
const dataDir = mkdtempSync(join(tmpdir(), 'sv-relay-pipeline-'));
const store = new StoreWriter(dataDir);
await store.open();
t.teardown(() => store.close());

const BATCH = 100;
const opts: RelayOptions = {
  url: env.url,
  token: env.creds.gateway.token,
  batchMaxRecords: BATCH,
  batchMinRecords: BATCH, // a fixed batch size: the test knows which record goes in which batch
  batchMaxBytes: 1 << 20,
  lingerMs: 20,
  idleSyncMs: 60_000, // one empty batch at the start, then none to share the wire with the test's batches
  requestTimeoutMs: 20_000,
  targetLatencyMs: 60_000,
  backoffBaseMs: 50,
  backoffMaxMs: 200,
  quotaBytes: 1 << 30,
  statsIntervalMs: 200,
  dropReportMs: 60_000,
  maxInFlight: 2,
};

t.test('a batch whose 2xx is lost while the next one is delivered: resent unchanged, nothing lost or twice', async (t) => {
  const relay = new Relay(opts, store, dataDir, createLogger({ name: 'relay-test', level: 'silent', pretty: false }));
  relay.start();
  t.teardown(() => relay.stop());
  // The first success (an idle sync) ends the start-up recovery: from then on two batches may be on the wire.
  await waitFor('link up', async () => (relay.state === 'up' ? true : undefined), 20_000);
  await new Promise((r) => setTimeout(r, 300));

  const ts = Date.now();
  const items: StoreItem[] = [];
  const DEVICES = ['kit-pl0', 'kit-pl1'];
  const SEQS = 150; // 300 records: three batches of 100
  for (let seq = 0; seq < SEQS; seq++) {
    for (const deviceId of DEVICES) {
      // One invalid reading (over the contract's temperature range) in each batch: the cloud dead-letters it.
      const tempC = seq % 50 === 25 && deviceId === 'kit-pl0' ? 500 : 55 + (seq % 10) / 10;
      const rec = {
        kind: 'telemetry',
        deviceId,
        boot: 1,
        seq,
        ts: ts + seq * 1000,
        rxTs: ts + seq * 1000,
        tempC,
        sensor: 'ok',
        heater: true,
      };
      items.push({ t: 'out', priority: PRIORITY.bulk, kind: 'telemetry', record: JSON.stringify(rec), ts: rec.rxTs });
    }
  }
  const deadBefore = await env.stores.meta.countRows('dead_letters');
  // Every chunk now takes 1 s each way: the cloud commits, the 2xx is still in the proxy.
  env.proxy.set({ kind: 'delay', ms: 1000 });
  await Promise.all(items.map((it) => new Promise<void>((res, rej) => store.write(it, (err) => (err ? rej(err) : res())))));
  await waitFor(
    'two batches committed by the cloud',
    async () => ((await env.stores.meta.countRows('dead_letters')) >= deadBefore + 2 ? true : undefined),
    30_000,
    10,
  );
  t.equal(relay.lastError, undefined, 'no failure so far');
  t.ok(env.proxy.dropOldest(), "the first batch's connection is cut before its 2xx arrives");
  env.proxy.set({ kind: 'pass' });
  await waitFor('outbox drained', async () => (outboxRows(dataDir) === 0 ? true : undefined), 60_000);

  t.match(relay.lastError, /./, `the cut was seen as a failed batch: ${relay.lastError}`);
  t.equal(
    (await env.stores.meta.countRows('dead_letters')) - deadBefore,
    3,
    'each invalid record dead-lettered once: the lost batch went again under its own batch id',
  );
  for (const deviceId of DEVICES) {
    const seqs = (await pointsOf(env.stores, deviceId, 0, ts + 10_000_000)).map((p) => p.seq).sort((a, b) => a - b);
    const expected = Array.from({ length: SEQS }, (_, i) => i).filter((s) => !(deviceId === 'kit-pl0' && s % 50 === 25));
    t.same(seqs, expected, `${deviceId}: every valid reading in InfluxDB exactly once`);
  }
  const latest = await latestOf(env.stores, DEVICES, Date.now());
  t.same(
    DEVICES.map((id) => latest.get(id)?.seq),
    [SEQS - 1, SEQS - 1],
    'Redis holds the newest reading whatever the order the batches landed in',
  );
  t.ok(relay.sentBatches >= 3, `batches delivered: ${relay.sentBatches}`);
});
