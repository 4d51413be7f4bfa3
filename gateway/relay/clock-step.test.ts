import t from 'tap';
import { pointsOf } from '../../cloud/testing/read-back.js';
import { createLogger } from '../../shared/log.js';
import { SteadyClock } from '../../shared/time/steady-clock.js';
import { outboxRows, relayOnProxy } from '../../test/cloud-behind-proxy.js';
import { waitFor } from '../../test/harness/index.js';
import { PRIORITY, type StoreItem } from '../store/items.js';
import { Relay } from './relay.js';

/**
 * The gateway's wall clock steps back an hour while the cloud is unreachable (NTP correcting a
 * clock that ran ahead, an operator's `date -s`). The relay's retry was scheduled on the old clock;
 * it must still go within its back-off once the cloud is back, not an hour later (ADR 048).
 */
const HOUR = 3_600_000;
const { env, dataDir, store, opts } = await relayOnProxy(t, 'clockstep', {
  batchMaxRecords: 100,
  batchMinRecords: 10,
  idleSyncMs: 60_000,
  requestTimeoutMs: 5_000,
  targetLatencyMs: 60_000,
  backoffBaseMs: 200,
  backoffMaxMs: 1_000,
  maxInFlight: 2,
});

const write = (it: StoreItem) => new Promise<void>((res, rej) => store.write(it, (err) => (err ? rej(err) : res())));
const reading = (seq: number, ts: number): StoreItem => {
  const rec = { kind: 'telemetry', deviceId: 'kit-clock', boot: 1, seq, ts, rxTs: ts, tempC: 56, sensor: 'ok', heater: true };
  return { t: 'out', priority: PRIORITY.bulk, kind: 'telemetry', record: JSON.stringify(rec), ts };
};

t.test('a wall clock stepped back an hour during an outage: the relay retries within its back-off', async (t) => {
  let stepMs = 0;
  const clock = new SteadyClock(() => Date.now() + stepMs);
  const relay = new Relay(opts, store, dataDir, createLogger({ name: 'relay-test', level: 'silent', pretty: false }), { clock });
  relay.start();
  t.teardown(() => relay.stop());
  await waitFor('link up', async () => (relay.state === 'up' ? true : undefined), 20_000);

  env.proxy.set({ kind: 'refuse' });
  const ts = Date.now();
  await write(reading(1, ts));
  await waitFor('a failed attempt', async () => (relay.lastError !== undefined ? true : undefined), 20_000);
  await new Promise((r) => setTimeout(r, 600)); // a retry or two, the back-off growing to its 1 s cap

  stepMs = -HOUR;
  env.proxy.set({ kind: 'pass' });
  await write(reading(2, ts + 1000));
  const started = performance.now();
  await waitFor('outbox drained', async () => (outboxRows(dataDir) === 0 ? true : undefined), 15_000);
  const tookS = (performance.now() - started) / 1000;
  t.ok(tookS < 5, `delivered ${tookS.toFixed(1)} s after the cloud came back (back-off cap 1 s), not an hour later`);
  const seqs = (await pointsOf(env.stores, 'kit-clock', 0, ts + 10_000_000)).map((p) => p.seq).sort((a, b) => a - b);
  t.same(seqs, [1, 2], 'both readings are in InfluxDB, once');
  const last = relay.lastSuccessTs ?? 0;
  t.ok(Math.abs(last - (Date.now() - HOUR)) < 10_000, 'the last success is stamped on the new wall clock');
});
