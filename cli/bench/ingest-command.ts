import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { prepareClient } from '../../loadtest/client-option.js';
import { SvError } from '../../shared/errors.js';
import type { CommandContext } from '../command.js';
import { configFor } from '../run.js';
import { benchIngestConfig, reportFile } from './config.js';
import { benchIngest, formatRow, type IngestBroker, type IngestRow, TABLE_HEADER } from './ingest.js';
import { writeReportSection } from './report-section.js';

const GENERATORS = {
  native: 'native kitgen (C, epoll, OpenSSL; ADR 021)',
  lean: 'lean mqtt-packet client (Node)',
  mqttjs: 'MQTT.js client (Node)',
} as const;

export async function runIngestBench(ctx: CommandContext): Promise<number> {
  const c = configFor(benchIngestConfig, ctx);
  const report = reportFile(c.report); // checked before the run, written after it
  const baselineMain = c.baseline === undefined ? undefined : resolve(c.baseline);
  if (baselineMain !== undefined && !existsSync(baselineMain)) {
    throw new SvError('SV_ERR_CLI_USAGE', `--baseline: ${baselineMain} does not exist`, [`--baseline: no file ${baselineMain}`]);
  }
  if (baselineMain === undefined && c.brokers.includes('baseline')) {
    throw new SvError('SV_ERR_CLI_USAGE', '--brokers: baseline needs --baseline', ['--brokers: baseline needs --baseline']);
  }
  // With --baseline the other build runs first, beside this one, on the same kits (a before/after pair).
  const brokers: IngestBroker[] =
    baselineMain !== undefined && !c.brokers.includes('baseline') ? ['baseline', ...c.brokers] : [...c.brokers];
  const client = await prepareClient(c.client);
  const out = ctx.json ? ctx.stderr : ctx.stdout;
  out.write(`${TABLE_HEADER.join('\n')}\n`);
  const opts = {
    kits: c.kits,
    durationS: c.duration,
    rate: c.rate,
    partitions: c.partitions,
    connectParallelism: c.connectParallelism,
    brokers,
    baselineMain,
    client,
    gatewayNodes: c.gatewayNodes,
    tlsTerminator: c.tlsTerminator,
    streams: c.streams,
    streamDevices: c.streamDevices,
    log: (line: string) => out.write(`${line}\n`),
  };
  const rows = await benchIngest(opts);
  if (report !== undefined && opts.streams > 0) {
    writeReportSection(report, 'bench:streams', streamsSection(rows, opts, (await import('node:os')).cpus().length));
  } else if (report !== undefined) {
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
      `Each kit publishes QoS 1 telemetry over TLS at ${opts.rate} msg/s, open loop, for ${opts.durationS} s. The gateway authenticates every kit (scrypt secret), parses strictly, commits to SQLite (WAL, synchronous=FULL) before each PUBACK${opts.gatewayNodes > 1 ? `; its MQTT side runs as ${opts.gatewayNodes} broker node processes (mqtt.nodes, ADR 024) routing through a private Redis, and its loop lag, RSS and CPU include them` : ''}${opts.tlsTerminator === 'haproxy' ? "; the kits reach the gateway through HAProxy terminating TLS (mqtt.proxyPort), and its RSS and CPU include HAProxy's processes" : ''}; Mosquitto is a bare broker (anonymous, no storage).`,
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

const follows = (k: number | undefined) => (k ? `${k}` : 'fleet');

/** The stream pair (ADR 034): the same gateway, kits and load without and with N open streams. */
function streamsSection(
  rows: IngestRow[],
  o: { streams: number; streamDevices: number; durationS: number; rate: number },
  cores: number,
): string {
  const pairs = rows.filter((r) => r.broker.startsWith('gateway') && r.streams === undefined);
  const lines = pairs.map((base) => {
    const withS = rows.find((r) => r.kits === base.kits && r.streams !== undefined);
    if (!withS) return null;
    const ratio = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? '–' : (a / b).toFixed(2));
    return [
      `| ${base.kits} | 0 | – | ${base.msgPerS} | ${base.brokerCpuUsPerMsg ?? '–'} | ${base.p99 ?? '–'} | ${base.rssMb ?? '–'} | – | – |`,
      `| ${withS.kits} | ${withS.streams} | ${follows(withS.streamDevices)} | ${withS.msgPerS} | ${withS.brokerCpuUsPerMsg ?? '–'} | ${withS.p99 ?? '–'} | ${withS.rssMb ?? '–'} | ${withS.streamMiBPerS} | ${withS.streamsDropped} |`,
      `| **ratio** | | | ${ratio(withS.msgPerS, base.msgPerS)} | **${ratio(withS.brokerCpuUsPerMsg, base.brokerCpuUsPerMsg)}** | ${ratio(withS.p99, base.p99)} | ${ratio(withS.rssMb, base.rssMb)} | | |`,
    ].join('\n');
  });
  return [
    `## Live streams during ingest (\`sousvide bench ingest --streams ${o.streams}${o.streamDevices ? ` --stream-devices ${o.streamDevices}` : ''}\`)`,
    '',
    `Run ${new Date().toISOString()} on this machine (${cores} cores shared with the load generator, the stream clients and other work: read the ratios, not the absolute figures).`,
    `A pair per kit count: the gateway under ${o.rate} msg/s per kit for ${o.durationS} s, then again with ${o.streams} GET /v1/stream clients open (operator token; ${o.streamDevices ? `each following ${o.streamDevices} kits with ?devices=, chosen round-robin, every reading of them at stream.readingIntervalMs, 1 s by default` : "fleet streams: every kit's readings at stream.readingIntervalMs (1 s by default), held to stream.fleetReadingBytesPerSec per stream"}). Gateway CPU per acknowledged message is its steady-state process CPU over the messages acknowledged (as in the ingest table).`,
    '',
    '| kits | open streams | kits per stream | msg/s | gateway µs CPU/msg | PUBACK p99 ms | RSS MB | stream MiB/s received | streams dropped as slow |',
    '|---|---|---|---|---|---|---|---|---|',
    ...lines.filter(Boolean),
  ].join('\n');
}
