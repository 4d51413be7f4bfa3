import t from 'tap';
import { startInflux } from '../../../test/harness/index.js';
import type { Telemetry } from '../types.js';
import { InfluxTelemetryStore } from './influx-store.js';

/**
 * Which of InfluxDB's `400 partial write` answers the store takes as a commit (ADR 082): only the
 * refusals no retry changes. A series limit is the operator's to raise, and InfluxDB 1.6 drops
 * with it a point of an existing series that was under the limit: that write must throw, so that
 * the batch is retried and nothing the gateway acknowledged is lost. A private InfluxDB with
 * `max-series-per-database = 2`.
 */
t.test('a partial write over a series limit throws (the batch is retried); nothing is taken as committed', async (t) => {
  const influx = await startInflux(t, ['max-series-per-database = 2']);
  const store = new InfluxTelemetryStore({ url: influx.url, db: 'sv_partial', createDb: true, timeoutMs: 5000 });
  await store.open();
  t.teardown(() => store.close());
  const now = Date.now();
  const tel = (deviceId: string, seq: number): Telemetry => ({
    kind: 'telemetry',
    deviceId,
    boot: 1,
    seq,
    ts: now - 1000 + seq,
    rxTs: now - 1000 + seq,
    tempC: 60,
    sensor: 'ok',
    heater: true,
  });
  t.equal(await store.write('gw-1', [tel('kit-a', 1), tel('kit-b', 2)]), undefined, 'two series fit the limit');
  await t.rejects(
    store.write('gw-1', [tel('kit-a', 4), tel('kit-b', 5), tel('kit-c', 3)]),
    { code: 'SV_ERR_STORE_FAILED', message: /max-series-per-database/ },
    'a third series: the partial write throws',
  );
});
