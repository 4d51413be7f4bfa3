import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { createGateway } from '../../cloud/admin.js';
import { buildCloud } from '../../cloud/app.js';
import { cloudConfig } from '../../cloud/config.js';
import type { SinkName } from '../../cloud/metrics.js';
import { createStores } from '../../cloud/stores/index.js';
import { DEFAULT_ORG } from '../../cloud/stores/types.js';
import { batch, event, telemetry } from '../../cloud/testing/fixtures.js';
import { processCpuMs } from '../../loadtest/proc-cpu.js';
import { loadConfig } from '../../shared/config/load.js';
import { createLogger } from '../../shared/log.js';
import type { RelayBatch, RelayRecord } from '../../shared/relay/batch.js';
import { startInflux, startMariaDb, startRedis, type TestService } from '../../test/harness/index.js';
import { writeReportSection } from './report-section.js';
import { onlySinks } from './sink-filter.js';

/**
 * `sousvide bench cloud`: ingest throughput (telemetry points/s) and batch latency (p50/p95) over
 * HTTP into a real cloud on real InfluxDB, Redis and MariaDB (private instances from test/harness,
 * or REDIS_URL / MYSQL_URL / INFLUX_URL), with all sinks on and with each sink alone.
 */
export interface CloudBenchOptions {
  batches: number;
  batchSize: number;
  concurrency: number;
  devices: number;
  report?: string;
  out: NodeJS.WritableStream;
}

interface Run {
  mode: string;
  points: number;
  seconds: number;
  pointsPerS: number;
  p50Ms: number;
  p95Ms: number;
  failures: number;
  /** CPU µs per point over the timed window: this process (the cloud and the HTTP client driving it) and each store's server. */
  cpuUsPerPoint: { cloud: number; influx: number | null; redis: number | null; mysql: number | null };
}

type StorePids = { influx: number | undefined; redis: number | undefined; mysql: number | undefined };

const MODES: [string, SinkName[]][] = [
  ['all sinks', ['influx', 'redis', 'mysql']],
  ['InfluxDB alone', ['influx']],
  ['Redis alone', ['redis']],
  ['MySQL alone', ['mysql']],
];

export async function runCloudBench(o: CloudBenchOptions): Promise<Run[]> {
  const services: TestService[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'sousvide-bench-cloud-'));
  try {
    o.out.write('starting InfluxDB, Redis and MariaDB…\n');
    const load = loadavg()[0] ?? 0;
    const [redis, mysql, influx] = await Promise.all([startRedis(), startMariaDb(), startInflux()]);
    services.push(redis, mysql, influx);
    const runs: Run[] = [];
    for (const [i, [mode, sinks]] of MODES.entries()) {
      const config = loadConfig(cloudConfig, {
        overrides: {
          dataDir,
          port: 0,
          host: '127.0.0.1',
          'influx.url': influx.directUrl,
          'influx.db': `bench_${i}`,
          'redis.url': redis.directUrl,
          'redis.keyPrefix': `bench${i}:`,
          'mysql.url': mysql.directUrl,
          'ingest.sinkTimeoutMs': 30_000,
          'rateLimit.gatewayPerMin': 1_000_000,
          // One gateway sends every batch: its in-flight caps (ADR 074) must not refuse the bench's own concurrency.
          'ingest.maxInFlightPerGateway': o.concurrency,
          'ingest.maxInFlightPerOrg': o.concurrency,
        },
      });
      const stores = onlySinks(createStores(config), sinks);
      const cloud = buildCloud(config, createLogger({ name: 'bench-cloud', level: 'error', pretty: false }), { stores });
      const { port } = await cloud.start();
      try {
        const gw = await createGateway(cloud.stores.meta, `bench-gw-${i}-${Date.now() % 100000}`, DEFAULT_ORG, Date.now());
        const pids = { influx: influx.process?.pid, redis: redis.process?.pid, mysql: mysql.process?.pid };
        const run = await drive(`http://127.0.0.1:${port}`, gw.token, o, i, pids);
        runs.push({ mode, ...run });
        const c = run.cpuUsPerPoint;
        o.out.write(
          `${mode.padEnd(16)} ${fmt(run.pointsPerS)} points/s   p50 ${run.p50Ms.toFixed(1)} ms   p95 ${run.p95Ms.toFixed(1)} ms   ` +
            `CPU µs/point: cloud ${us(c.cloud)}, InfluxDB ${us(c.influx)}, Redis ${us(c.redis)}, MariaDB ${us(c.mysql)}\n`,
        );
      } finally {
        await cloud.stop();
      }
    }
    if (o.report) writeReportSection(o.report, 'bench:cloud', markdown(runs, o, load));
    return runs;
  } finally {
    for (const s of services) await s.close().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function drive(base: string, token: string, o: CloudBenchOptions, run: number, pids: StorePids) {
  const agent = new Agent({ connections: o.concurrency, keepAliveTimeout: 30_000 });
  const bodies: string[] = [];
  for (let b = 0; b < o.batches; b++) bodies.push(JSON.stringify(makeBatch(o, run, b)));
  const post = async (body: string) => {
    const started = performance.now();
    const res = await request(`${base}/v1/ingest`, {
      method: 'POST',
      dispatcher: agent,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body,
    });
    await res.body.text();
    return { ms: performance.now() - started, ok: res.statusCode === 200 };
  };
  for (const body of bodies.slice(0, 2)) await post(body); // warm-up (connections, JIT, schema); replays, not counted
  const latencies: number[] = [];
  let failures = 0;
  let next = 0;
  const storesBefore = storeCpuMs(pids);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: o.concurrency }, async () => {
      while (next < bodies.length) {
        const r = await post(bodies[next++] as string);
        latencies.push(r.ms);
        if (!r.ok) failures++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const storesAfter = storeCpuMs(pids);
  await agent.close();
  latencies.sort((a, b) => a - b);
  const points = o.batches * o.batchSize;
  const perPoint = (k: keyof StorePids) => {
    const a = storesBefore[k];
    const b = storesAfter[k];
    return a === null || b === null ? null : ((b - a) * 1000) / points;
  };
  return {
    points,
    seconds,
    pointsPerS: points / seconds,
    p50Ms: pct(latencies, 0.5),
    p95Ms: pct(latencies, 0.95),
    failures,
    cpuUsPerPoint: {
      cloud: (cpu.user + cpu.system) / points,
      influx: perPoint('influx'),
      redis: perPoint('redis'),
      mysql: perPoint('mysql'),
    },
  };
}

/** Each store server's CPU so far (ms; null for a server this run does not own, e.g. INFLUX_URL). */
function storeCpuMs(p: StorePids): Record<keyof StorePids, number | null> {
  return { influx: processCpuMs(p.influx), redis: processCpuMs(p.redis), mysql: processCpuMs(p.mysql) };
}

const us = (n: number | null) => (n === null ? '–' : n.toFixed(1));

function makeBatch(o: CloudBenchOptions, run: number, b: number): RelayBatch {
  const records: RelayRecord[] = [];
  const perDevice = Math.ceil(o.batchSize / o.devices);
  for (let i = 0; i < o.batchSize; i++) {
    const d = i % o.devices;
    records.push(telemetry(`bench-${run}-${d}`, 1, b * perDevice + Math.floor(i / o.devices)));
  }
  records.push(event(`bench-${run}-0`, { id: `bev-${run}-${b}` }));
  return { ...batch(records), batchId: `bb-${run}-${b}` };
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US').padStart(9);
}

function markdown(runs: Run[], o: CloudBenchOptions, load: number): string {
  const lines = [
    '## Cloud ingest (`sousvide bench cloud`)',
    '',
    `${new Date().toISOString()} · ${o.batches} batches × ${o.batchSize} telemetry points (${o.devices} devices) + 1 event each, ` +
      `${o.concurrency} batches in flight, HTTP/1.1 keep-alive, JSON, one cloud process; private InfluxDB 1.6, Redis 7 and MariaDB ` +
      'servers from the test harness on the same 2-core machine as the load generator ' +
      `(1-min load average at start: ${load.toFixed(1)}; other work on the machine moves these figures).`,
    '',
    '| sinks | points/s | p50 batch ms | p95 batch ms | non-2xx | CPU µs per point: cloud (+ HTTP client) | InfluxDB | Redis | MariaDB | total |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...runs.map((r) => {
      const c = r.cpuUsPerPoint;
      const total = c.cloud + (c.influx ?? 0) + (c.redis ?? 0) + (c.mysql ?? 0);
      return `| ${r.mode} | ${Math.round(r.pointsPerS)} | ${r.p50Ms.toFixed(1)} | ${r.p95Ms.toFixed(1)} | ${r.failures} | ${us(c.cloud)} | ${us(c.influx)} | ${us(c.redis)} | ${us(c.mysql)} | ${us(total)} |`;
    }),
    '',
    '"Alone" = only that sink writes (the pipeline skips the others); every run still authenticates the gateway (cached) and ' +
      'reads its desired state from MySQL. A 2xx with all sinks means all three committed. CPU per point: user + system CPU ' +
      "over the timed window divided by the points sent; the cloud runs in the benchmark's process with the HTTP client " +
      'that drives it (undici, bodies serialised before the window), so its column includes that client; the stores are ' +
      'their own server processes (/proc).',
  ];
  return lines.join('\n');
}
