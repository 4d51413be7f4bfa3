import { prepareClient } from '../../loadtest/client-option.js';
import { loadtestConfig } from '../../loadtest/run/config.js';
import { checkWritableFile, makeDir } from '../../shared/fs/paths.js';
import type { Command } from '../command.js';
import { configFor } from '../run.js';

export const loadtestCommand: Command = {
  name: 'loadtest',
  summary: 'Simulate thousands of kits against a gateway and write run artifacts.',
  usage:
    'sousvide loadtest [--connections N] [--partitions N] [--connect-parallelism N] [--mps N] [--duration S] [--qos 0|1] [--gateway-nodes N] [--run-id ID] …',
  config: loadtestConfig,
  async run(ctx) {
    const c0 = configFor(loadtestConfig, ctx);
    const now = new Date();
    const runId = c0.runId ?? now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
    // Where the run's artifacts and results go, checked before minutes of load rather than after.
    makeDir(c0.outDir, '--out-dir', { code: 'SV_ERR_CLI_USAGE' });
    checkWritableFile(c0.results, '--results');
    const client = await prepareClient(c0.client);
    const { runLoadtest } = await import('../../loadtest/run/run-loadtest.js');
    const { sloLine, sloVerdicts } = await import('../../loadtest/run/slos.js');
    const out = ctx.json ? ctx.stderr : ctx.stdout;
    const r = await runLoadtest({
      connections: c0.connections,
      partitions: c0.partitions,
      connectParallelism: c0.connectParallelism,
      mps: c0.mps,
      durationS: c0.duration,
      qos: c0.qos as 0 | 1,
      client,
      sinks: c0.sinks,
      maxInFlight: c0.mode === 'closed' ? c0.inflight : 0,
      gatewayNodes: c0.gatewayNodes,
      tlsTerminator: c0.tlsTerminator,
      runId,
      maxAttempts: c0.maxAttempts,
      partTimeoutS: c0.partTimeout ?? c0.duration + 120,
      requireBusinessSummary: c0.requireBusinessSummary,
      outDir: c0.outDir,
      resultsFile: c0.results,
      command: `sousvide loadtest ${process.argv.slice(3).join(' ')}`.trim(),
      log: (line) => out.write(`${line}\n`),
    });
    const c = r.connection;
    const slos = sloVerdicts(c, r.business);
    out.write(
      [
        '',
        `run ${runId} attempt ${r.attempt}: ${r.dir}`,
        `  kits connected       ${c.connected}/${c.kits} (connect p95 ${c.connect_ms.p95?.toFixed(0)} ms)`,
        `  published / acked    ${c.published_total} / ${c.acked_total}  (connection success ${(c.connection_success_rate * 100).toFixed(2)} %)`,
        `  PUBACK p50/p95/p99   ${c.puback_ms.p50?.toFixed(1)} / ${c.puback_ms.p95?.toFixed(1)} / ${c.puback_ms.p99?.toFixed(1)} ms`,
        `  telemetry → command  p99 ${c.telemetry_to_command_ms.p99?.toFixed(1) ?? '–'} ms (${c.telemetry_to_command_ms.n} commands)`,
        `  business success     ${r.business ? `${(r.business.business_pipeline_success_rate * 100).toFixed(2)} % (${r.business.mode})` : 'no business summary'}`,
        ...(c.publish_to_visible_ms
          ? [
              `  publish → visible    p50/p95/p99 ${c.publish_to_visible_ms.p50?.toFixed(0) ?? '–'} / ${c.publish_to_visible_ms.p95?.toFixed(0) ?? '–'} / ${c.publish_to_visible_ms.p99?.toFixed(0) ?? '–'} ms (${c.publish_to_visible_ms.n} samples, poll ${c.publish_to_visible_ms.poll_interval_ms} ms)`,
            ]
          : []),
        `  design SLOs          ${sloLine(slos)}`,
        `  gateway /metrics     RSS max ${c.gateway?.rss_max_mb ?? '–'} MB, event-loop lag p99 max ${c.gateway?.loop_lag_p99_max_ms ?? '–'} ms`,
        ...(c.processes?.groups ?? []).flatMap((g) =>
          [...g.processes, ...(g.processes.length > 1 ? [{ name: `${g.group} total`, ...g.total }] : [])].map(
            (p) =>
              `  ${p.name.padEnd(21)}RSS max ${p.rss_max_mb} MB, CPU ${p.cpu_ms} ms = ${p.cpu_us_per_msg} µs/msg, ${p.cpu_core_pct} % of a core`,
          ),
        ),
        `  chart                ${r.dir}/chart.svg (summary: ${r.dir}/summary.md)`,
        '',
      ].join('\n'),
    );
    if (ctx.json) ctx.stdout.write(`${JSON.stringify({ dir: r.dir, connection: r.connection, business: r.business, slos })}\n`);
    return r.business === null && c0.requireBusinessSummary ? 1 : 0;
  },
};
