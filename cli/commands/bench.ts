import { numberFlag, reportFlag } from '../bench/flags.js';
import { ingestFlags } from '../bench/ingest-flags.js';
import { writeReportSection } from '../bench/report-section.js';
import type { Command } from '../command.js';

/** `sousvide bench <name>`: each benchmark prints its figures and writes its section of docs/benchmarks.md. */
export const benchCommand: Command = {
  name: 'bench',
  summary: 'Benchmarks: ingest, control, cloud, drain (print figures, write docs/benchmarks.md).',
  usage: 'sousvide bench <ingest|control|cloud|drain> [options]',
  subcommands: [
    {
      name: 'ingest',
      summary: 'Gateway ingest vs Mosquitto at 1k/3k/5k/10k kits over TLS.',
      usage: 'sousvide bench ingest [--kits 1000,3000] [--duration S] [--partitions N] [--brokers gateway,mosquitto] [--json]',
      flags: ingestFlags,
      run: async (ctx) => (await import('../bench/ingest-command.js')).runIngestBench(ctx),
    },
    {
      name: 'control',
      summary: 'Control quality of the engine vs plain hysteresis on the thermal simulator.',
      usage: 'sousvide bench control [--json]',
      // Loaded on use: the simulator and the engine are not needed by the other commands.
      run: async (ctx) =>
        (await import('../bench/control/command.js')).runControlBench({
          stdout: ctx.stdout,
          json: ctx.json,
          write: { writeSection: (md) => writeReportSection('docs/benchmarks.md', 'bench:control', md), imgDir: 'docs/img' },
        }),
    },
    {
      name: 'cloud',
      summary: 'Cloud ingest throughput and latency with all sinks and each sink alone.',
      usage: 'sousvide bench cloud [--batches N] [--batch-size N] [--concurrency N] [--report FILE] [--json]',
      flags: [
        { flag: 'batches', kind: 'string', help: 'Batches per run (default 60).' },
        { flag: 'batch-size', kind: 'string', help: 'Telemetry points per batch (default 1000).' },
        { flag: 'concurrency', kind: 'string', help: 'Batches in flight (default 4).' },
        { flag: 'report', kind: 'string', help: 'Markdown report to update (default docs/benchmarks.md; "-" = none).' },
      ],
      async run(ctx) {
        const { runCloudBench } = await import('../bench/cloud.js');
        const int = (name: string, def: number) => numberFlag(ctx, name, def);
        const report = reportFlag(ctx);
        const runs = await runCloudBench({
          batches: int('batches', 60),
          batchSize: int('batch-size', 1000),
          concurrency: int('concurrency', 4),
          devices: 100,
          report,
          out: ctx.json ? ctx.stderr : ctx.stdout,
        });
        if (ctx.json) ctx.stdout.write(`${JSON.stringify(runs)}\n`);
        return runs.some((r) => r.failures > 0) ? 1 : 0;
      },
    },
    {
      name: 'drain',
      summary: 'Time to drain a 1M-record backlog while 1k kits keep publishing.',
      usage:
        'sousvide bench drain [--records N] [--kits N] [--live-s S] [--partitions N] [--gateway-args="--relay-… N"] [--report FILE] [--json]',
      flags: [
        { flag: 'records', kind: 'string', help: 'Backlog records queued before the gateway starts (default 1000000).' },
        { flag: 'kits', kind: 'string', help: 'Live kits publishing 1 msg/s during the drain (default 1000).' },
        { flag: 'live-s', kind: 'string', help: 'Seconds of live traffic (default 240).' },
        { flag: 'partitions', kind: 'string', help: 'Load generator processes (default 2).' },
        {
          flag: 'gateway-args',
          kind: 'string',
          help: 'Extra gateway flags, as one value: --gateway-args="--relay-batch-max-records 5000".',
        },
        { flag: 'report', kind: 'string', help: 'Markdown report to update (default docs/benchmarks.md; "-" = none).' },
      ],
      async run(ctx) {
        const int = (name: string, def: number) => numberFlag(ctx, name, def);
        const report = reportFlag(ctx);
        const extra = ctx.flags['gateway-args'];
        return (await import('../bench/drain/command.js')).runDrainBench({
          records: int('records', 1_000_000),
          kits: int('kits', 1000),
          liveS: int('live-s', 240),
          partitions: int('partitions', 2),
          gatewayArgs: typeof extra === 'string' ? extra.split(' ').filter(Boolean) : [],
          report,
          json: ctx.json,
          stdout: ctx.stdout,
          stderr: ctx.stderr,
        });
      },
    },
  ],
};
