import { z } from 'zod';
import { defineConfig } from '../../shared/config/load.js';
import { choiceOption, intOption, numberOption } from '../../shared/config/options.js';
import { opt } from '../../shared/config/spec.js';
import { clientOption } from '../client-option.js';
import { tlsTerminatorOption } from '../targets/haproxy.js';

/**
 * `sousvide loadtest` options (docs/load-test-scenarios.md; docs/config.md is generated from this).
 * The run's knobs keep the load-test plan's own environment names (`RUN_ID`, `MAX_ATTEMPTS`, …);
 * the others read `SV_LOADTEST_<FLAG>`.
 */
export const loadtestConfig = defineConfig(
  'loadtest',
  'SV_LOADTEST_',
  {
    connections: intOption(1, 15_000, { default: 200, help: 'Total kits.' }),
    partitions: intOption(1, 16, { default: 2, help: 'Load-generator child processes.' }),
    connectParallelism: intOption(1, 5000, { default: 100, help: 'Connections opened at once per partition.' }),
    mps: numberOption(0.01, 100, { default: 1, help: 'Messages per second per kit.' }),
    duration: intOption(1, 24 * 3600, { default: 30, unit: 's', help: 'Seconds of steady load.' }),
    qos: intOption(0, 1, { default: 1, help: 'MQTT QoS of telemetry, 0 or 1.' }),
    sinks: choiceOption(['full', 'gateway'], 'full or gateway', {
      default: 'full',
      help: 'full (gateway + cloud + InfluxDB, Redis, MariaDB, private instances) or gateway (the gateway alone, its store the sink).',
    }),
    client: clientOption,
    mode: choiceOption(['open', 'closed'], 'open or closed', {
      default: 'open',
      help: 'open (fixed rate, shows drops) or closed (bounded in-flight, finds saturation).',
    }),
    inflight: intOption(1, 1000, { default: 1, help: 'Closed loop: unacknowledged messages allowed per kit.' }),
    gatewayNodes: intOption(1, 32, {
      default: 1,
      help: "The gateway's mqtt.nodes: broker processes on the MQTT port (above 1 they route through Redis: the cloud's private one, or one started for a gateway-only run).",
    }),
    tlsTerminator: tlsTerminatorOption,
    runId: opt(
      z
        .string()
        .regex(/^[A-Za-z0-9._-]{1,80}$/, { error: 'letters, digits, ".", "_", "-" (≤ 80)' })
        // It names a directory under the output dir: "." or ".." would be that dir or its parent.
        .refine((s) => s !== '.' && s !== '..', { error: 'a plain name, not "." or ".." (it names the run\'s directory)' })
        .optional(),
      { kind: 'string', env: 'RUN_ID', defaultHelp: 'timestamp YYYYMMDD-HHMMSS', help: 'Run id (names the artifacts directory).' },
    ),
    maxAttempts: intOption(1, 10, { default: 1, env: 'MAX_ATTEMPTS', help: 'Attempts before giving up.' }),
    partTimeout: intOption(10, 48 * 3600, {
      unit: 's',
      env: 'PART_TIMEOUT_SECONDS',
      defaultHelp: 'duration + 120',
      help: 'Per-partition timeout.',
    }),
    requireBusinessSummary: opt(z.boolean(), {
      kind: 'bool',
      default: false,
      env: 'REQUIRE_BUSINESS_SUMMARY',
      help: 'Fail an attempt (and the command, exit 1) without business-summary.json.',
    }),
    outDir: opt(z.string().min(1), { kind: 'string', unit: 'path', default: 'docs/loadtest-runs', help: 'Artifacts root.' }),
    results: opt(z.string().min(1), {
      kind: 'string',
      unit: 'path',
      default: 'docs/load-test-results.md',
      help: 'Results table to append to.',
    }),
  },
  { usage: true },
);
