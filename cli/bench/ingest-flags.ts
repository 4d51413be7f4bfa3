import { CLIENT_FLAG_HELP } from './flags.js';

/** Flags of `sousvide bench ingest` (kept apart so that `--help` does not load the benchmark). */
export const ingestFlags = [
  { flag: 'kits', kind: 'string' as const, help: 'Kit counts to run, comma-separated (default 1000,3000,5000,10000).' },
  { flag: 'duration', kind: 'string' as const, help: 'Seconds of steady load per run (default 30).' },
  { flag: 'rate', kind: 'string' as const, help: 'Messages per second per kit (default 1).' },
  { flag: 'partitions', kind: 'string' as const, help: 'Load-generator child processes (default 2).' },
  { flag: 'connect-parallelism', kind: 'string' as const, help: 'Connections opened at once per partition (default 100).' },
  { flag: 'client', kind: 'string' as const, help: CLIENT_FLAG_HELP },
  {
    flag: 'gateway-nodes',
    kind: 'string' as const,
    help: "The gateway's mqtt.nodes: broker processes on the MQTT port (default 1; above 1 a private Redis is started).",
  },
  { flag: 'brokers', kind: 'string' as const, help: 'gateway,mosquitto (default both; baseline,gateway,mosquitto with --baseline).' },
  {
    flag: 'baseline',
    kind: 'string' as const,
    help: "Another build's cli/main.js, run as the broker `baseline` beside this build's gateway in the same run (a before/after pair).",
  },
  { flag: 'report', kind: 'string' as const, help: 'Markdown report to update (default docs/benchmarks.md; "-" = none).' },
];
