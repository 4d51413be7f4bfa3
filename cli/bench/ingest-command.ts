import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { SvError } from '../../shared/errors.js';
import type { CommandContext } from '../command.js';
import { clientFlag, numberFlag } from './flags.js';
import { benchIngest, formatRow, type IngestBroker, TABLE_HEADER } from './ingest.js';
import { writeReportSection } from './report-section.js';

const GENERATORS = {
  native: 'native kitgen (C, epoll, OpenSSL; ADR 021)',
  lean: 'lean mqtt-packet client (Node)',
  mqttjs: 'MQTT.js client (Node)',
} as const;

export async function runIngestBench(ctx: CommandContext): Promise<number> {
  const kits = String(ctx.flags.kits ?? '1000,3000,5000,10000')
    .split(',')
    .map(Number);
  if (kits.some((k) => !Number.isInteger(k) || k < 1 || k > 15000)) {
    throw new SvError('SV_ERR_CLI_USAGE', '--kits: comma-separated integers 1…15000', ['--kits: comma-separated integers 1…15000']);
  }
  const baselineMain = typeof ctx.flags.baseline === 'string' ? resolve(ctx.flags.baseline) : undefined;
  if (baselineMain !== undefined && !existsSync(baselineMain)) {
    throw new SvError('SV_ERR_CLI_USAGE', `--baseline: ${baselineMain} does not exist`, [`--baseline: no file ${baselineMain}`]);
  }
  const brokers = String(ctx.flags.brokers ?? (baselineMain ? 'baseline,gateway,mosquitto' : 'gateway,mosquitto')).split(',');
  const known = baselineMain ? ['gateway', 'baseline', 'mosquitto'] : ['gateway', 'mosquitto'];
  if (brokers.some((b) => !known.includes(b))) {
    const why = `--brokers: ${known.join(', ')}${baselineMain ? '' : ' (baseline needs --baseline)'}`;
    throw new SvError('SV_ERR_CLI_USAGE', why, [why]);
  }
  const client = await clientFlag(ctx);
  const out = ctx.json ? ctx.stderr : ctx.stdout;
  out.write(`${TABLE_HEADER.join('\n')}\n`);
  const opts = {
    kits,
    durationS: numberFlag(ctx, 'duration', 30),
    rate: numberFlag(ctx, 'rate', 1, { min: 0.01, integer: false }),
    partitions: numberFlag(ctx, 'partitions', 2, { max: 16 }),
    connectParallelism: numberFlag(ctx, 'connect-parallelism', 100, { max: 5000 }),
    brokers: brokers as IngestBroker[],
    baselineMain,
    client,
    gatewayNodes: numberFlag(ctx, 'gateway-nodes', 1, { max: 32 }),
    log: (line: string) => out.write(`${line}\n`),
  };
  const rows = await benchIngest(opts);
  const report = typeof ctx.flags.report === 'string' ? ctx.flags.report : 'docs/benchmarks.md';
  if (report !== '-') {
    const ratio = rows
      .filter((r) => r.broker.startsWith('gateway'))
      .map((g) => {
        const m = rows.find((r) => r.broker === 'mosquitto' && r.kits === g.kits);
        const cpu =
          g.brokerCpuUsPerMsg !== null && m?.brokerCpuUsPerMsg
            ? `, CPU/msg = ${(g.brokerCpuUsPerMsg / m.brokerCpuUsPerMsg).toFixed(2)}`
            : '';
        return m && g.p95 !== null && m.p95 !== null
          ? `${g.kits} kits: ${g.broker}/Mosquitto PUBACK p95 = ${(g.p95 / m.p95).toFixed(2)}, throughput = ${(g.msgPerS / Math.max(1, m.msgPerS)).toFixed(3)}${cpu}`
          : null;
      })
      .filter(Boolean);
    const md = [
      opts.gatewayNodes > 1
        ? `## Gateway with ${opts.gatewayNodes} broker nodes ingest vs Mosquitto (\`sousvide bench ingest --gateway-nodes ${opts.gatewayNodes}\`)`
        : '## Gateway ingest vs Mosquitto (`sousvide bench ingest`)',
      '',
      `Run ${new Date().toISOString()} on this machine (${(await import('node:os')).cpus().length} cores, load generator on the same cores: ${GENERATORS[client]}, ${opts.partitions} partitions).`,
      `Each kit publishes QoS 1 telemetry over TLS at ${opts.rate} msg/s, open loop, for ${opts.durationS} s. The gateway authenticates every kit (scrypt secret), parses strictly, commits to SQLite (WAL, synchronous=FULL) before each PUBACK${opts.gatewayNodes > 1 ? `; its MQTT side runs as ${opts.gatewayNodes} broker node processes (mqtt.nodes, ADR 024) routing through a private Redis, and its loop lag, RSS and CPU include them` : ''}; Mosquitto is a bare broker (anonymous, no storage).`,
      '',
      ...TABLE_HEADER,
      ...rows.map(formatRow),
      '',
      ...ratio.map((r) => `- ${r}`),
    ].join('\n');
    // One section per shape of gateway: the single-process table stays beside the multi-node one.
    writeReportSection(report, opts.gatewayNodes > 1 ? 'bench:ingest-nodes' : 'bench:ingest', md);
  }
  if (ctx.json) ctx.stdout.write(`${JSON.stringify(rows)}\n`);
  return 0;
}
