import { spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPartitions } from '../run-partitions.js';
import { prepareHostedGateway, startCooks } from '../targets/hosted-gateway.js';
import { type BusinessSummary, businessSummary, type ConnectionSummary, connectionSummary, gatewayCounters } from './summaries.js';

export interface LoadtestOptions {
  connections: number;
  partitions: number;
  connectParallelism: number;
  mps: number;
  durationS: number;
  qos: 0 | 1;
  client: 'lean' | 'mqttjs';
  /** 0 = open loop (fixed rate); N = closed loop with N unacknowledged messages per kit. */
  maxInFlight: number;
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

/**
 * `sousvide loadtest`: the seed plan's run (run id, attempts, partitions, per-partition timeout,
 * split summaries) against a gateway it hosts, with artifacts under
 * `<outDir>/<run-id>/attempt-<n>/`: part-*.log, connection-summary.json, business-summary.json,
 * gateway.log; and one row appended to the results file.
 */
export async function runLoadtest(o: LoadtestOptions): Promise<AttemptResult> {
  const work = mkdtempSync(join(tmpdir(), 'sv-loadtest-'));
  o.log(`provisioning ${o.connections} kits …`);
  const hosted = await prepareHostedGateway(work, o.connections, 'lt');
  const nofile = Number(spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).stdout.trim()) || null;
  let last: AttemptResult | undefined;
  for (let attempt = 1; attempt <= o.maxAttempts; attempt++) {
    const dir = join(o.outDir, o.runId, `attempt-${attempt}`);
    mkdirSync(dir, { recursive: true });
    const gatewayLog = join(work, `gateway-${attempt}.log`);
    const gw = await hosted.start(gatewayLog);
    const commandKits = hosted.kits.slice(0, Math.min(200, Math.ceil(o.connections / 10))).map((k) => k.id);
    await startCooks(gw.httpPort, hosted.token, commandKits);
    o.log(`attempt ${attempt}: ${o.connections} kits × ${o.mps} msg/s for ${o.durationS} s, QoS ${o.qos}, TLS`);
    let lastLine = 0;
    const result = await runPartitions(
      {
        host: '127.0.0.1',
        port: gw.mqttPort,
        caFile: hosted.pki.caFile,
        ratePerKit: o.mps,
        durationS: o.durationS,
        connectParallelism: o.connectParallelism,
        qos: o.qos,
        boot: attempt,
        commandKits,
        client: o.client,
        maxInFlight: o.maxInFlight,
      },
      hosted.kits,
      o.partitions,
      work,
      (c) => {
        if (Date.now() - lastLine < 1000) return;
        lastLine = Date.now();
        o.log(
          `  connected ${c.connected}/${o.connections}  published ${c.published}  acked ${c.acked}  failed ${c.failed}  commands ${c.commands}`,
        );
      },
      { partLog: (i, line) => appendFileSync(join(dir, `part-${i}.log`), `${line}\n`), timeoutS: o.partTimeoutS },
    );
    await new Promise((r) => setTimeout(r, 500)); // the last commits land in the counters
    const metrics = await gw.metrics().catch(() => null);
    await gw.stop();
    if (existsSync(gatewayLog)) copyFileSync(gatewayLog, join(dir, 'gateway.log'));
    const connection = connectionSummary(o.runId, attempt, o.connections, o.durationS, result, nofile);
    writeFileSync(join(dir, 'connection-summary.json'), `${JSON.stringify(connection, null, 2)}\n`);
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
    last = { dir, attempt, connection, business };
    const partitionsOk = !result.errors['client:partition_crashed'];
    if (partitionsOk && (business !== null || !o.requireBusinessSummary)) break;
    o.log(`attempt ${attempt} incomplete (${partitionsOk ? 'no business summary' : 'a partition crashed or timed out'})`);
  }
  if (!last) throw new Error('no attempt ran');
  appendResultRow(o, last);
  return last;
}

function appendResultRow(o: LoadtestOptions, r: AttemptResult): void {
  if (!existsSync(o.resultsFile)) {
    writeFileSync(
      o.resultsFile,
      [
        '# Load-test results',
        '',
        'One row per run (`sousvide loadtest`); artifacts in `docs/loadtest-runs/<run-id>/attempt-<n>/`. The load generator shares the machine with the gateway.',
        '',
        '| run id | attempt | command | kits | connected | published | acked | conn. success | PUBACK p95 ms | business success | core success | telemetry→command p99 ms |',
        '|---|---|---|---|---|---|---|---|---|---|---|---|',
        '',
      ].join('\n'),
    );
  }
  const c = r.connection;
  const b = r.business;
  const pct = (x: number | undefined) => (x === undefined ? '–' : `${(x * 100).toFixed(2)} %`);
  appendFileSync(
    o.resultsFile,
    `| ${o.runId} | ${r.attempt} | \`${o.command}\` | ${c.kits} | ${c.connected} | ${c.published_total} | ${c.acked_total} | ${pct(c.connection_success_rate)} | ${c.puback_ms.p95?.toFixed(1) ?? '–'} | ${pct(b?.business_pipeline_success_rate)} | ${pct(b?.business_core_pipeline_success_rate)} | ${c.telemetry_to_command_ms.p99?.toFixed(1) ?? '–'} |\n`,
  );
}
