import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { createGateway } from '../../../cloud/admin.js';
import { buildCloud } from '../../../cloud/app.js';
import { cloudConfig } from '../../../cloud/config.js';
import { DEFAULT_ORG, type Stores } from '../../../cloud/stores/types.js';
import { PRIORITY } from '../../../gateway/store/items.js';
import { STORE_FILE } from '../../../gateway/store/open.js';
import { runPartitions } from '../../../loadtest/run-partitions.js';
import { startGatewayProcess } from '../../../loadtest/targets/gateway-process.js';
import { prepareHostedGateway } from '../../../loadtest/targets/hosted-gateway.js';
import { loadConfig } from '../../../shared/config/load.js';
import { createLogger } from '../../../shared/log.js';
import { freePort } from '../../../shared/net/free-port.js';
import type { RelayRecord } from '../../../shared/relay/batch.js';
import { startInflux, startMariaDb, startRedis, type TestService } from '../../../test/harness/index.js';

/**
 * `sousvide bench drain`: a gateway comes back online with `records` of telemetry queued in its
 * outbox (an outage) while `kits` kits keep publishing at 1 msg/s; how long until the backlog
 * is in the real cloud (InfluxDB, Redis, MariaDB from test/harness), in records/s and as a
 * multiple of the live rate. Bench tooling: it hosts the cloud in this process, the gateway and
 * the kits in their own processes.
 */
export interface DrainBenchOptions {
  records: number;
  kits: number;
  liveS: number;
  partitions: number;
  gatewayArgs: string[];
  log: (line: string) => void;
}

export interface DrainResult {
  records: number;
  kits: number;
  fillS: number;
  drainS: number;
  backlogPerS: number;
  totalSentPerS: number;
  livePerS: number;
  ratio: number;
  liveAckedPct: number;
  /** Backlog rows left when the run ended (0 = drained). */
  left: number;
  checked: { devices: number; ok: number };
  /** 1-minute load average at the end of the run (after the live traffic). */
  loadavg: number;
  /** 1-minute load average when the gateway started and when the backlog was drained (the machine is shared). */
  drainLoad?: { start: number; end: number };
}

export async function benchDrain(o: DrainBenchOptions): Promise<DrainResult> {
  const work = mkdtempSync(join(tmpdir(), 'sv-bench-drain-'));
  const services: TestService[] = [];
  try {
    o.log('starting InfluxDB, Redis and MariaDB …');
    const [redis, mysql, influx] = await Promise.all([startRedis(), startMariaDb(), startInflux()]);
    services.push(redis, mysql, influx);
    const config = loadConfig(cloudConfig, {
      overrides: {
        dataDir: join(work, 'cloud'),
        port: 0,
        host: '127.0.0.1',
        'influx.url': influx.directUrl,
        'influx.db': 'drain',
        'redis.url': redis.directUrl,
        'mysql.url': mysql.directUrl,
        // ingest.sinkTimeoutMs stays at its default (2 s): a batch too big for it gets the 503 a real cloud gives.
        'rateLimit.gatewayPerMin': 1_000_000,
      },
    });
    const cloud = buildCloud(config, createLogger({ name: 'bench-cloud', level: 'error', pretty: false }));
    const { port } = await cloud.start();
    try {
      const gwCred = await createGateway(cloud.stores.meta, `drain-${Date.now() % 100000}`, DEFAULT_ORG, Date.now());
      o.log(`provisioning ${o.kits} kits …`);
      const hosted = await prepareHostedGateway(work, o.kits, 'dr');
      const fillStarted = performance.now();
      const lastBacklogId = fillOutbox(
        hosted.dataDir,
        hosted.kits.map((k) => k.id),
        o.records,
      );
      const fillS = (performance.now() - fillStarted) / 1000;
      o.log(`outbox filled with ${o.records} records in ${fillS.toFixed(1)} s; starting the gateway and ${o.kits} live kits …`);
      const [mqttPort, httpPort] = [await freePort(), await freePort()];
      const gw = await startGatewayProcess({
        dataDir: hosted.dataDir,
        mqttPort,
        httpPort,
        logFile: join(work, 'gateway.log'),
        extraArgs: [
          ...['--mqtt-conn-rate-per-addr', '0', '--mqtt-max-connections', String(o.kits + 1000), '--log-level', 'warn'],
          ...['--cloud-url', `http://127.0.0.1:${port}`, '--cloud-token', gwCred.token, ...o.gatewayArgs],
        ],
      });
      const started = performance.now();
      const loadStart = loadavg()[0] ?? 0;
      let loadEnd = Number.NaN;
      const reader = new Sqlite(join(hosted.dataDir, STORE_FILE), { readonly: true });
      // The backlog (ids 1…lastBacklogId) drains in id order, so the lowest id left says how much is
      // left: O(1). A count would scan a million rows on the event loop that also serves the cloud
      // (a first run did, and throttled the cloud it measured).
      const minId = reader.prepare('SELECT min(id) AS m FROM outbox');
      const backlogLeft = () => {
        const m = (minId.get() as { m: number | null }).m;
        return m === null || m > lastBacklogId ? 0 : lastBacklogId - m + 1;
      };
      const live = runPartitions(
        {
          host: '127.0.0.1',
          port: mqttPort,
          caFile: hosted.pki.caFile,
          ratePerKit: 1,
          durationS: o.liveS,
          connectParallelism: 50,
          qos: 1,
          boot: 1,
        },
        hosted.kits,
        o.partitions,
        work,
      );
      let drainS = Number.NaN;
      let left = o.records;
      let liveDone = false;
      void live.then(() => {
        liveDone = true;
      });
      let lastLog = 0;
      // Drained = every backlog row acknowledged; the wait ends there or some time after the live load ends.
      while (Number.isNaN(drainS) && !(liveDone && performance.now() - started > (o.liveS + 120) * 1000)) {
        await new Promise((r) => setTimeout(r, 250));
        left = backlogLeft();
        if (left === 0) {
          drainS = (performance.now() - started) / 1000;
          loadEnd = loadavg()[0] ?? 0;
        }
        if (performance.now() - lastLog > 10_000) {
          lastLog = performance.now();
          const st = await relayState(httpPort, hosted.token);
          o.log(`  ${((performance.now() - started) / 1000).toFixed(0)} s: ${left} backlog records left${st}`);
        }
      }
      const sent = await relayFigure(httpPort, hosted.token);
      const sentS = (performance.now() - started) / 1000; // backlog and live records sent by the end of the drain
      const result = await live;
      reader.close();
      await gw.stop();
      const livePerS = result.counters.acked / o.liveS;
      const drained = o.records - left;
      const seconds = Number.isNaN(drainS) ? (performance.now() - started) / 1000 : drainS;
      const checked = await checkSample(
        cloud.stores,
        hosted.kits.map((k) => k.id),
        o.records,
      );
      return {
        records: o.records,
        kits: o.kits,
        fillS,
        drainS: seconds,
        backlogPerS: drained / seconds,
        totalSentPerS: sent / sentS,
        livePerS,
        ratio: drained / seconds / Math.max(1, livePerS),
        liveAckedPct: result.counters.published === 0 ? 0 : (100 * result.counters.acked) / result.counters.published,
        left,
        checked,
        loadavg: loadavg()[0] ?? 0,
        drainLoad: { start: loadStart, end: Number.isNaN(loadEnd) ? (loadavg()[0] ?? 0) : loadEnd },
      };
    } finally {
      await cloud.stop();
    }
  } finally {
    for (const s of services) await s.close().catch(() => {});
    rmSync(work, { recursive: true, force: true });
  }
}

/** The backlog an outage leaves: telemetry of every kit (boot 0, so live readings never collide), straight into the outbox before the gateway starts. */
function fillOutbox(dataDir: string, ids: string[], records: number): number {
  const db = new Sqlite(join(dataDir, STORE_FILE));
  const insert = db.prepare('INSERT INTO outbox (priority, kind, record, bytes, created_ts) VALUES (?, ?, ?, ?, ?)');
  const t0 = Date.now() - 3 * 3600_000;
  const perKit = Math.ceil(records / ids.length);
  let lastId = 0;
  const chunk = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const seq = Math.floor(i / ids.length);
      const ts = t0 + Math.floor((seq * 3 * 3600_000) / perKit);
      const r: RelayRecord = {
        kind: 'telemetry',
        deviceId: ids[i % ids.length] as string,
        boot: 0,
        seq,
        ts,
        rxTs: ts + 5,
        tempC: 55 + (i % 20) / 10,
        sensor: 'ok',
        heater: i % 2 === 0,
        rssi: -60,
      };
      const json = JSON.stringify(r);
      lastId = Number(insert.run(PRIORITY.bulk, 'telemetry', json, Buffer.byteLength(json), r.rxTs).lastInsertRowid);
    }
  });
  for (let i = 0; i < records; i += 50_000) chunk(i, Math.min(records, i + 50_000));
  db.close();
  return lastId;
}

/** The relay's link state, batch size and last error, for the progress lines. */
async function relayState(httpPort: number, token: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/v1/relay`, { headers: { authorization: `Bearer ${token}` } }).catch(() => null);
  const s = (await res?.json().catch(() => null)) as {
    link?: string;
    batchTargetRecords?: number;
    lastError?: string | null;
    sent?: { batches: number };
  } | null;
  if (!s) return '';
  return ` (link ${s.link}, batch target ${s.batchTargetRecords}, ${s.sent?.batches} batches${s.lastError ? `, last error: ${s.lastError.slice(0, 80)}` : ''})`;
}

async function relayFigure(httpPort: number, token: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/v1/relay`, { headers: { authorization: `Bearer ${token}` } }).catch(() => null);
  const body = (await res?.json().catch(() => null)) as { sent?: { records: number } } | null;
  return body?.sent?.records ?? 0;
}

/** Reads back a sample of kits: each must hold exactly its backlog readings (boot 0) in InfluxDB. */
async function checkSample(
  stores: Pick<Stores, 'meta' | 'telemetry'>,
  ids: string[],
  records: number,
): Promise<{ devices: number; ok: number }> {
  const sample = ids.filter((_, i) => i % Math.max(1, Math.floor(ids.length / 10)) === 0).slice(0, 10);
  let ok = 0;
  const gatewayIds = await stores.meta.gatewayIdsOf(DEFAULT_ORG);
  for (const [n, id] of sample.entries()) {
    const k = ids.indexOf(id);
    const expected = Math.floor(records / ids.length) + (k < records % ids.length ? 1 : 0);
    const pts = (await stores.telemetry.points({ deviceId: id, gatewayIds }, 0, Date.now() + 60_000)).filter((p) => p.boot === 0);
    if (pts.length === expected && new Set(pts.map((p) => p.seq)).size === expected) ok++;
    void n;
  }
  return { devices: sample.length, ok };
}
