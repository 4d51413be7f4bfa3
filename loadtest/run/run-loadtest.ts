import { spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../shared/net/free-port.js';
import { closeStoreServers, type Stores, startStores } from '../chaos/topology.js';
import type { ClientModel } from '../partition.js';
import { type LoadResult, runPartitions } from '../run-partitions.js';
import { startFullStack } from '../targets/full-stack.js';
import type { TlsTerminator, TlsTerminatorKind } from '../targets/haproxy.js';
import { type HostedGateway, prepareHostedGateway, startCooks } from '../targets/hosted-gateway.js';
import { startRedisServer } from '../targets/redis.js';
import { renderChart } from './chart.js';
import { gatewayRoot, type MeteredRoot, ProcessMeter } from './process-meter.js';
import {
  type BusinessSummary,
  businessSummary,
  type ConnectionSummary,
  cloudCounters,
  connectionSummary,
  gatewayCounters,
  q,
} from './summaries.js';
import { summaryMarkdown } from './summary-md.js';
import { Timeline } from './timeline.js';
import { VisibilityProbe } from './visibility-probe.js';

export interface LoadtestOptions {
  connections: number;
  partitions: number;
  connectParallelism: number;
  mps: number;
  durationS: number;
  qos: 0 | 1;
  client: ClientModel;
  /**
   * full: gateway + cloud + InfluxDB, Redis and MariaDB (all sinks on; the report's runs);
   * gateway: the gateway alone, its SQLite store the durable sink (the design's bypass mode).
   */
  sinks: 'full' | 'gateway';
  /** 0 = open loop (fixed rate); N = closed loop with N unacknowledged messages per kit. */
  maxInFlight: number;
  /**
   * The gateway's mqtt.nodes (default 1). Above 1 its broker node processes route through Redis
   * (ADR 024): the private one the cloud uses, or one started for a gateway-only run.
   */
  gatewayNodes?: number;
  /** haproxy: the kits reach the gateway through HAProxy terminating TLS (ADR 065), metered as `haproxy-<n>`. */
  tlsTerminator?: TlsTerminatorKind;
  runId: string;
  maxAttempts: number;
  partTimeoutS: number;
  requireBusinessSummary: boolean;
  outDir: string;
  resultsFile: string;
  /** The exact command line, for the results table. */
  command: string;
  log: (line: string) => void;
}

export interface AttemptResult {
  dir: string;
  attempt: number;
  connection: ConnectionSummary;
  business: BusinessSummary | null;
}

/** A gateway-only run with broker nodes: the private Redis they route through (the full stack has the cloud's). */
interface ClusterRedis {
  url: string;
  pid: number | undefined;
  stop(): Promise<void>;
}

/**
 * `sousvide loadtest`: the design's run (run id, attempts, partitions, per-partition timeout,
 * split summaries) against a gateway it hosts, with artifacts under
 * `<outDir>/<run-id>/attempt-<n>/`: part-*.log, connection-summary.json, business-summary.json,
 * gateway.log; and one row appended to the results file.
 */
export async function runLoadtest(o: LoadtestOptions): Promise<AttemptResult> {
  const work = mkdtempSync(join(tmpdir(), 'sv-loadtest-'));
  const nofile = Number(spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).stdout.trim()) || null;
  let stores: Stores | undefined;
  let hosted: HostedGateway | undefined;
  let redis: ClusterRedis | undefined;
  if (o.sinks === 'full') {
    o.log('starting private InfluxDB, Redis and MariaDB …');
    stores = await startStores();
  } else {
    o.log(`provisioning ${o.connections} kits …`);
    hosted = await prepareHostedGateway(work, o.connections, 'lt');
    if ((o.gatewayNodes ?? 1) > 1) {
      o.log(`starting a private Redis for the ${o.gatewayNodes} broker nodes …`);
      const r = await startRedisServer({ dir: work, port: await freePort() });
      redis = { url: r.url, pid: r.child.pid, stop: () => r.stop() };
    }
  }
  try {
    let last: AttemptResult | undefined;
    for (let attempt = 1; attempt <= o.maxAttempts; attempt++) {
      const dir = join(o.outDir, o.runId, `attempt-${attempt}`);
      mkdirSync(dir, { recursive: true });
      last = stores
        ? await fullAttempt(o, stores, work, dir, attempt, nofile)
        : await gatewayAttempt(o, hosted as HostedGateway, redis, work, dir, attempt, nofile);
      const partitionsOk = !last.connection.failure_signatures['client:partition_crashed'];
      if (partitionsOk && (last.business !== null || !o.requireBusinessSummary)) break;
      o.log(`attempt ${attempt} incomplete (${partitionsOk ? 'no business summary' : 'a partition crashed or timed out'})`);
    }
    if (!last) throw new Error('no attempt ran');
    appendResultRow(o, last);
    return last;
  } finally {
    if (stores) await closeStoreServers(stores);
    await redis?.stop();
  }
}

/** The gateway alone (bypass mode): its SQLite store is the durable sink. */
async function gatewayAttempt(
  o: LoadtestOptions,
  hosted: HostedGateway,
  redis: ClusterRedis | undefined,
  work: string,
  dir: string,
  attempt: number,
  nofile: number | null,
): Promise<AttemptResult> {
  const gatewayLog = join(work, `gateway-${attempt}.log`);
  const gw = await hosted.start(gatewayLog, { nodes: o.gatewayNodes ?? 1, clusterRedisUrl: redis?.url, tlsTerminator: o.tlsTerminator });
  const timeline = new Timeline(() => gw.metrics());
  const meter = new ProcessMeter([
    gatewayRoot(gw.child.pid),
    ...terminatorRoots(gw.terminator),
    ...(redis ? [{ group: 'redis-server', pid: redis.pid }] : []),
  ]);
  meter.start();
  const result = await load(
    o,
    work,
    dir,
    attempt,
    { mqttPort: gw.mqttPort, httpPort: gw.httpPort, caFile: hosted.pki.caFile },
    hosted,
    timeline,
  );
  await new Promise((r) => setTimeout(r, 500)); // the last commits land in the counters
  const metrics = await gw.metrics().catch(() => null);
  const connection = connectionSummary(o.runId, attempt, o.connections, o.durationS, result, nofile);
  connection.processes = meter.stop(connection.acked_total);
  await gw.stop();
  if (existsSync(gatewayLog)) copyFileSync(gatewayLog, join(dir, 'gateway.log'));
  writeRunFiles(o, dir, attempt, connection, timeline);
  let business: BusinessSummary | null = null;
  if (metrics !== null) {
    const g = gatewayCounters(metrics);
    business = businessSummary(
      o.runId,
      attempt,
      { ...g, influx_ok_total: 0, influx_fail_total: 0, influx_bypass_total: g.store_ok_total, redis_ok_total: 0, redis_fail_total: 0 },
      'gateway-only',
    );
    writeFileSync(join(dir, 'business-summary.json'), `${JSON.stringify(business, null, 2)}\n`);
  }
  writeFileSync(join(dir, 'summary.md'), summaryMarkdown(o, attempt, connection, business));
  return { dir, attempt, connection, business };
}

/**
 * The whole pipeline: kits → gateway → relay → cloud → InfluxDB, Redis, MariaDB. After the load,
 * the run waits for the gateway's outbox to drain, so the sink counters cover every record.
 */
async function fullAttempt(
  o: LoadtestOptions,
  stores: Stores,
  work: string,
  dir: string,
  attempt: number,
  nofile: number | null,
): Promise<AttemptResult> {
  const stackDir = join(work, `stack-${attempt}`);
  const stack = await startFullStack(stores, {
    runId: `${o.runId}-${attempt}`,
    workDir: stackDir,
    kits: o.connections,
    gatewayNodes: o.gatewayNodes ?? 1,
    tlsTerminator: o.tlsTerminator,
    log: o.log,
  });
  try {
    const roots: MeteredRoot[] = [
      gatewayRoot(stack.topology.gateway.child?.pid),
      ...terminatorRoots(stack.terminator),
      ...stack.topology.clouds.map((c) => ({ group: 'cloud', pid: c.child?.pid })),
      // Only the store servers this run started (an external one named by REDIS_URL etc. has no pid here).
      { group: 'influxd', pid: stores.influx.process?.pid },
      { group: 'redis-server', pid: stores.redis.process?.pid },
      { group: 'mariadbd', pid: stores.mysql.process?.pid },
    ];
    const meter = new ProcessMeter(roots);
    meter.start();
    // A few kits (not those with a cook) are read through the cloud API for publish → visible.
    const sample = stack.kits.slice(-Math.min(10, Math.max(1, Math.floor(o.connections / 20)))).map((k) => k.id);
    const probe = new VisibilityProbe(stack.cloudBase, stack.viewerKey, sample);
    probe.start();
    const timeline = new Timeline(() => stack.gatewayMetrics());
    const result = await load(
      o,
      work,
      dir,
      attempt,
      { mqttPort: stack.mqttPort, httpPort: stack.httpPort, caFile: stack.caFile },
      { token: stack.operatorToken, kits: stack.kits },
      timeline,
    );
    o.log('waiting for the relay to drain the outbox …');
    const drainMs = await stack.drained(Math.max(60_000, o.durationS * 1000));
    await new Promise((r) => setTimeout(r, 1000)); // the last visibility polls
    probe.stop();
    const [gm, cm] = [await stack.gatewayMetrics(), await stack.cloudMetrics()];
    const connection = connectionSummary(o.runId, attempt, o.connections, o.durationS, result, nofile);
    connection.processes = meter.stop(connection.acked_total);
    connection.publish_to_visible_ms = {
      n: probe.latency.count,
      ...q(probe.latency),
      poll_interval_ms: probe.everyMs,
      sample_kits: sample.length,
      probe_errors: probe.errors,
    };
    connection.relay_drain_after_load_ms = drainMs;
    writeRunFiles(o, dir, attempt, connection, timeline);
    let business: BusinessSummary | null = null;
    if (gm !== undefined && cm !== undefined) {
      const g = gatewayCounters(gm);
      business = businessSummary(o.runId, attempt, { ...g, ...cloudCounters(cm) }, 'full');
      writeFileSync(join(dir, 'business-summary.json'), `${JSON.stringify(business, null, 2)}\n`);
      writeFileSync(join(dir, 'gateway-metrics.txt'), gm);
      writeFileSync(join(dir, 'cloud-metrics.txt'), cm);
    }
    writeFileSync(join(dir, 'summary.md'), summaryMarkdown(o, attempt, connection, business));
    return { dir, attempt, connection, business };
  } finally {
    await stack.stop();
    for (const f of ['gateway.log', 'cloud-0.log']) if (existsSync(join(stackDir, f))) copyFileSync(join(stackDir, f), join(dir, f));
  }
}

/** Cooks on a tenth of the kits (at most 200), so control traffic is real, then the kits' load. */
async function load(
  o: LoadtestOptions,
  work: string,
  dir: string,
  attempt: number,
  target: { mqttPort: number; httpPort: number; caFile: string },
  fleet: { token: string; kits: { id: string; secret: string }[] },
  timeline: Timeline,
): Promise<LoadResult> {
  const commandKits = fleet.kits.slice(0, Math.min(200, Math.ceil(o.connections / 10))).map((k) => k.id);
  await startCooks(target.httpPort, fleet.token, commandKits);
  o.log(`attempt ${attempt}: ${o.connections} kits × ${o.mps} msg/s for ${o.durationS} s, QoS ${o.qos}, TLS, sinks: ${o.sinks}`);
  let lastLine = 0;
  timeline.start();
  const result = await runPartitions(
    {
      host: '127.0.0.1',
      port: target.mqttPort,
      caFile: target.caFile,
      ratePerKit: o.mps,
      durationS: o.durationS,
      connectParallelism: o.connectParallelism,
      qos: o.qos,
      boot: attempt,
      commandKits,
      client: o.client,
      maxInFlight: o.maxInFlight,
    },
    fleet.kits,
    o.partitions,
    work,
    (c) => {
      timeline.onProgress(c);
      if (Date.now() - lastLine < 1000) return;
      lastLine = Date.now();
      o.log(
        `  connected ${c.connected}/${o.connections}  published ${c.published}  acked ${c.acked}  failed ${c.failed}  commands ${c.commands}`,
      );
    },
    { partLog: (i, line) => appendFileSync(join(dir, `part-${i}.log`), `${line}\n`), timeoutS: o.partTimeoutS },
  );
  timeline.stop();
  return result;
}

/** connection-summary.json (with the gateway's resource figures), timeline.json and chart.svg. */
function writeRunFiles(o: LoadtestOptions, dir: string, attempt: number, connection: ConnectionSummary, timeline: Timeline): void {
  connection.gateway = { rss_max_mb: timeline.rssMaxMb, loop_lag_p99_max_ms: timeline.loopLagP99MaxMs };
  writeFileSync(join(dir, 'connection-summary.json'), `${JSON.stringify(connection, null, 2)}\n`);
  writeFileSync(join(dir, 'timeline.json'), `${JSON.stringify(timeline.points, null, 2)}\n`);
  const title = `${o.runId} attempt ${attempt}: ${o.connections} kits × ${o.mps} msg/s, QoS ${o.qos}, TLS, sinks ${o.sinks}`;
  writeFileSync(join(dir, 'chart.svg'), renderChart(title, timeline.points));
}

function appendResultRow(o: LoadtestOptions, r: AttemptResult): void {
  if (!existsSync(o.resultsFile)) {
    writeFileSync(
      o.resultsFile,
      [
        '# Load-test results',
        '',
        'One row per run (`sousvide loadtest`); artifacts in `docs/loadtest-runs/<run-id>/attempt-<n>/`. The load generator shares the machine with the gateway (and, with all sinks on, with the cloud and its stores).',
        '',
        '| run id | attempt | command | sinks | kits | connected | published | acked | conn. success | PUBACK p95 ms | business success | core success | telemetry→command p99 ms | publish→visible p95 ms | gateway RSS MB |',
        '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
        '',
      ].join('\n'),
    );
  }
  const c = r.connection;
  const b = r.business;
  const pct = (x: number | undefined) => (x === undefined ? '–' : `${(x * 100).toFixed(2)} %`);
  const ms = (x: number | null | undefined) => (x === null || x === undefined ? '–' : x.toFixed(1));
  // Every gateway process (with broker nodes: each node's peak summed), else the main process's /metrics.
  const gatewayRss = c.processes?.groups.find((g) => g.group === 'gateway')?.total.rss_max_mb ?? c.gateway?.rss_max_mb;
  appendFileSync(
    o.resultsFile,
    `| ${o.runId} | ${r.attempt} | \`${o.command}\` | ${o.sinks} | ${c.kits} | ${c.connected} | ${c.published_total} | ${c.acked_total} | ${pct(c.connection_success_rate)} | ${ms(c.puback_ms.p95)} | ${pct(b?.business_pipeline_success_rate)} | ${pct(b?.business_core_pipeline_success_rate)} | ${ms(c.telemetry_to_command_ms.p99)} | ${ms(c.publish_to_visible_ms?.p95)} | ${gatewayRss ?? '–'} |\n`,
  );
}

/** Each HAProxy process in front of the gateway, metered on its own (`haproxy-0`, `haproxy-1`, …). */
function terminatorRoots(t: TlsTerminator | undefined): MeteredRoot[] {
  return (t?.pids ?? []).map((pid, i) => ({ group: `haproxy-${i}`, pid }));
}
