import { SvError } from '../../shared/errors.js';
import { CLIENT_FLAG_HELP, clientFlag, numberFlag } from '../bench/flags.js';
import type { Command } from '../command.js';

/** The load test's knobs (docs/load-test-scenarios.md); the environment names are that plan's own. */
const FLAGS = [
  { flag: 'connections', kind: 'string' as const, help: 'Total kits (default 200).' },
  { flag: 'partitions', kind: 'string' as const, help: 'Load-generator child processes (default 2).' },
  { flag: 'connect-parallelism', kind: 'string' as const, help: 'Connections opened at once per partition (default 100).' },
  { flag: 'mps', kind: 'string' as const, help: 'Messages per second per kit (default 1).' },
  { flag: 'duration', kind: 'string' as const, help: 'Seconds of steady load (default 30).' },
  { flag: 'qos', kind: 'string' as const, help: 'MQTT QoS of telemetry, 0 or 1 (default 1).' },
  {
    flag: 'sinks',
    kind: 'string' as const,
    help: 'full (gateway + cloud + InfluxDB, Redis, MariaDB, private instances; default) or gateway (the gateway alone, its store the sink).',
  },
  { flag: 'client', kind: 'string' as const, help: CLIENT_FLAG_HELP },
  {
    flag: 'mode',
    kind: 'string' as const,
    help: 'open (fixed rate, shows drops; default) or closed (bounded in-flight, finds saturation).',
  },
  { flag: 'inflight', kind: 'string' as const, help: 'Closed loop: unacknowledged messages allowed per kit (default 1).' },
  { flag: 'run-id', kind: 'string' as const, help: 'Run id [env RUN_ID] (default: timestamp YYYYMMDD-HHMMSS).' },
  { flag: 'max-attempts', kind: 'string' as const, help: 'Attempts before giving up [env MAX_ATTEMPTS] (default 1).' },
  { flag: 'part-timeout', kind: 'string' as const, help: 'Per-partition timeout, s [env PART_TIMEOUT_SECONDS] (default duration + 120).' },
  {
    flag: 'require-business-summary',
    kind: 'bool' as const,
    help: 'Fail an attempt without business-summary.json [env REQUIRE_BUSINESS_SUMMARY=1].',
  },
  { flag: 'out-dir', kind: 'string' as const, help: 'Artifacts root (default docs/loadtest-runs).' },
  { flag: 'results', kind: 'string' as const, help: 'Results table to append to (default docs/load-test-results.md).' },
];

export const loadtestCommand: Command = {
  name: 'loadtest',
  summary: 'Simulate thousands of kits against a gateway and write run artifacts.',
  usage:
    'sousvide loadtest [--connections N] [--partitions N] [--connect-parallelism N] [--mps N] [--duration S] [--qos 0|1] [--run-id ID] …',
  flags: FLAGS,
  async run(ctx) {
    const durationS = numberFlag(ctx, 'duration', 30, { min: 1, max: 24 * 3600 });
    const now = new Date();
    const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
    const runId = String(ctx.flags['run-id'] ?? ctx.env.RUN_ID ?? stamp);
    if (!/^[A-Za-z0-9._-]{1,80}$/.test(runId))
      throw new SvError('SV_ERR_CLI_USAGE', '--run-id: letters, digits, ".", "_", "-" (≤ 80)', ['--run-id: invalid']);
    const qos = numberFlag(ctx, 'qos', 1, { min: 0, max: 1 }) as 0 | 1;
    const client = await clientFlag(ctx);
    const sinks = String(ctx.flags.sinks ?? 'full');
    if (sinks !== 'full' && sinks !== 'gateway')
      throw new SvError('SV_ERR_CLI_USAGE', '--sinks: full or gateway', ['--sinks: full or gateway']);
    const mode = String(ctx.flags.mode ?? 'open');
    if (mode !== 'open' && mode !== 'closed') throw new SvError('SV_ERR_CLI_USAGE', '--mode: open or closed', ['--mode: open or closed']);
    const { runLoadtest } = await import('../../loadtest/run/run-loadtest.js');
    const out = ctx.json ? ctx.stderr : ctx.stdout;
    const r = await runLoadtest({
      connections: numberFlag(ctx, 'connections', 200, { min: 1, max: 15_000 }),
      partitions: numberFlag(ctx, 'partitions', 2, { min: 1, max: 16 }),
      connectParallelism: numberFlag(ctx, 'connect-parallelism', 100, { min: 1, max: 5000 }),
      mps: numberFlag(ctx, 'mps', 1, { min: 0.01, max: 100, integer: false }),
      durationS,
      qos,
      client,
      sinks,
      maxInFlight: mode === 'closed' ? numberFlag(ctx, 'inflight', 1, { min: 1, max: 1000 }) : 0,
      runId,
      maxAttempts: numberFlag(ctx, 'max-attempts', 1, { min: 1, max: 10, env: 'MAX_ATTEMPTS' }),
      partTimeoutS: numberFlag(ctx, 'part-timeout', durationS + 120, { min: 10, max: 48 * 3600, env: 'PART_TIMEOUT_SECONDS' }),
      requireBusinessSummary: ctx.flags['require-business-summary'] === true || ctx.env.REQUIRE_BUSINESS_SUMMARY === '1',
      outDir: String(ctx.flags['out-dir'] ?? 'docs/loadtest-runs'),
      resultsFile: String(ctx.flags.results ?? 'docs/load-test-results.md'),
      command: `sousvide loadtest ${process.argv.slice(3).join(' ')}`.trim(),
      log: (line) => out.write(`${line}\n`),
    });
    const c = r.connection;
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
        `  gateway              RSS max ${c.gateway?.rss_max_mb ?? '–'} MB, event-loop lag p99 max ${c.gateway?.loop_lag_p99_max_ms ?? '–'} ms`,
        `  chart                ${r.dir}/chart.svg`,
        '',
      ].join('\n'),
    );
    if (ctx.json) ctx.stdout.write(`${JSON.stringify({ dir: r.dir, connection: r.connection, business: r.business })}\n`);
    return r.business === null && ctx.flags['require-business-summary'] === true ? 1 : 0;
  },
};
