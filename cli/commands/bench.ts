import { benchCloudConfig, benchDrainConfig, benchIngestConfig, reportFile } from '../bench/config.js';
import { writeReportSection } from '../bench/report-section.js';
import type { Command } from '../command.js';
import { configFor } from '../run.js';

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
      config: benchIngestConfig,
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
      usage: 'sousvide bench cloud [--batches N] [--batch-size N] [--devices N] [--concurrency N] [--report FILE] [--json]',
      config: benchCloudConfig,
      async run(ctx) {
        const c = configFor(benchCloudConfig, ctx);
        const { runCloudBench } = await import('../bench/cloud.js');
        const runs = await runCloudBench({
          batches: c.batches,
          batchSize: c.batchSize,
          concurrency: c.concurrency,
          devices: c.devices === 0 ? c.batchSize : c.devices,
          report: reportFile(c.report),
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
      config: benchDrainConfig,
      async run(ctx) {
        const c = configFor(benchDrainConfig, ctx);
        return (await import('../bench/drain/command.js')).runDrainBench({
          records: c.records,
          kits: c.kits,
          liveS: c.liveS,
          partitions: c.partitions,
          gatewayArgs: c.gatewayArgs?.split(' ').filter(Boolean) ?? [],
          report: reportFile(c.report),
          json: ctx.json,
          stdout: ctx.stdout,
          stderr: ctx.stderr,
        });
      },
    },
  ],
};
