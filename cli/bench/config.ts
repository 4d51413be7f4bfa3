import { z } from 'zod';
import { clientOption } from '../../loadtest/client-option.js';
import { tlsTerminatorOption } from '../../loadtest/targets/haproxy.js';
import { defineConfig } from '../../shared/config/load.js';
import { choiceListOption, intListOption, intOption, numberOption } from '../../shared/config/options.js';
import { opt } from '../../shared/config/spec.js';
import { checkWritableFile } from '../../shared/fs/paths.js';

/** Options of the `sousvide bench` subcommands (kept apart so that `--help` does not load a benchmark; docs/config.md is generated from these). */
const MAX = Number.MAX_SAFE_INTEGER;

/** `--report FILE`: the markdown report a benchmark writes its section of ("-" = none). */
const report = opt(z.string().min(1), {
  kind: 'string',
  unit: 'path',
  default: 'docs/benchmarks.md',
  help: 'Markdown report to update ("-" = none).',
});

/** The report file, or undefined for "-"; one that could not be written at the end of the run is refused now. */
export function reportFile(file: string): string | undefined {
  if (file === '-') return undefined;
  checkWritableFile(file, '--report');
  return file;
}

export const benchIngestConfig = defineConfig(
  'bench ingest',
  'SV_BENCH_INGEST_',
  {
    kits: intListOption(1, 15_000, 'comma-separated integers 1…15000', {
      default: [1000, 3000, 5000, 10000],
      help: 'Kit counts to run.',
    }),
    duration: intOption(1, MAX, { default: 30, unit: 's', help: 'Seconds of steady load per run.' }),
    rate: numberOption(0.01, MAX, { default: 1, help: 'Messages per second per kit.' }),
    partitions: intOption(1, 16, { default: 2, help: 'Load-generator child processes.' }),
    connectParallelism: intOption(1, 5000, { default: 100, help: 'Connections opened at once per partition.' }),
    client: clientOption,
    gatewayNodes: intOption(1, 32, {
      default: 1,
      help: "The gateway's mqtt.nodes: broker processes on the MQTT port (above 1 a private Redis is started).",
    }),
    tlsTerminator: tlsTerminatorOption,
    brokers: choiceListOption(['baseline', 'gateway', 'mosquitto'], 'baseline, gateway and/or mosquitto', {
      default: ['gateway', 'mosquitto'],
      help: 'Brokers to measure (baseline: the build named by --baseline; added first when --baseline is given).',
    }),
    baseline: opt(z.string().min(1).optional(), {
      kind: 'string',
      unit: 'path',
      help: "Another build's cli/main.js, run as the broker `baseline` beside this build's gateway in the same run (a before/after pair).",
    }),
    streams: intOption(0, 10_000, {
      default: 0,
      help: 'Also run each gateway with N open GET /v1/stream clients: a pair, without then with (gateway only; 0 = none).',
    }),
    streamDevices: intOption(0, 100, {
      default: 0,
      help: 'What each --streams client follows: K kits (?devices=, chosen round-robin over the kits), or 0 = the fleet stream (every kit).',
    }),
    report,
  },
  { usage: true },
);

export const benchCloudConfig = defineConfig(
  'bench cloud',
  'SV_BENCH_CLOUD_',
  {
    batches: intOption(1, MAX, { default: 60, help: 'Batches per run.' }),
    batchSize: intOption(1, MAX, { default: 1000, help: 'Telemetry points per batch.' }),
    concurrency: intOption(1, 1000, { default: 4, help: 'Batches in flight.' }),
    devices: intOption(0, MAX, {
      default: 0,
      help: "Kits a batch's points are spread over, round-robin; 0 = one point per kit, as in a fleet's relay batch (each kit reports once a second, a batch leaves every 250 ms).",
    }),
    report,
  },
  { usage: true },
);

export const benchDrainConfig = defineConfig(
  'bench drain',
  'SV_BENCH_DRAIN_',
  {
    records: intOption(1, MAX, { default: 1_000_000, help: 'Backlog records queued before the gateway starts.' }),
    kits: intOption(1, MAX, { default: 1000, help: 'Live kits publishing 1 msg/s during the drain.' }),
    liveS: intOption(1, MAX, { default: 240, unit: 's', help: 'Seconds of live traffic.' }),
    partitions: intOption(1, MAX, { default: 2, help: 'Load generator processes.' }),
    gatewayArgs: opt(z.string().optional(), {
      kind: 'string',
      defaultHelp: 'none',
      help: 'Extra gateway flags, as one value: --gateway-args="--relay-batch-max-records 5000".',
    }),
    report,
  },
  { usage: true },
);
