import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClientModel, PartitionCounters } from '../../loadtest/partition.js';
import { processRssBytes, processTreeCpuMs } from '../../loadtest/proc-cpu.js';
import { type LoadResult, runPartitions } from '../../loadtest/run-partitions.js';
import type { TlsTerminatorKind } from '../../loadtest/targets/haproxy.js';
import { prepareHostedGateway, startCooks } from '../../loadtest/targets/hosted-gateway.js';
import { startMosquitto } from '../../loadtest/targets/mosquitto.js';
import { startRedisServer } from '../../loadtest/targets/redis.js';
import { freePort } from '../../shared/net/free-port.js';
import { openStreamClients } from './stream-clients.js';

export interface IngestBenchOptions {
  kits: number[];
  durationS: number;
  rate: number;
  partitions: number;
  connectParallelism: number;
  brokers: IngestBroker[];
  /** For `baseline`: another build's `cli/main.js`, run as a second gateway in the same run (a before/after pair). */
  baselineMain?: string;
  /** Load generator (default native, ADR 021). */
  client?: ClientModel;
  /** The gateway's mqtt.nodes (default 1); above 1 the bench runs a private Redis for the nodes (ADR 024). */
  gatewayNodes?: number;
  /** `haproxy`: the gateway's kits connect through HAProxy terminating TLS (mqtt.proxyPort); its processes count as the gateway's. */
  tlsTerminator?: TlsTerminatorKind;
  /** Also run each gateway with this many open GET /v1/stream clients (a pair: without, then with; ADR 034). */
  streams?: number;
  /** What each stream client follows: K kits (`?devices=`, round-robin), or 0 (default) the fleet stream. */
  streamDevices?: number;
  log: (line: string) => void;
}

/** `baseline`: the gateway from another build (`baselineMain`), beside this build's. */
export type IngestBroker = 'gateway' | 'baseline' | 'mosquitto';

export interface IngestRow {
  broker: string;
  kits: number;
  connected: number;
  published: number;
  acked: number;
  ackedPct: number;
  msgPerS: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number;
  /** Telemetry → command as kits with a cook saw it (gateway only). */
  cmdCount: number;
  cmdP50: number | null;
  cmdP99: number | null;
  loopLagP99Ms: number | null;
  rssMb: number | null;
  /** RSS (all of the gateway's processes) over connected kits, KiB, at the end of the run. */
  rssKbPerKit: number | null;
  /** The gateway process's V8 heap at the end of the run (MiB): used / total, and external memory. */
  heap: { usedMb: number; totalMb: number; externalMb: number } | null;
  genCpuUsPerMsg: number;
  /** Generator CPU per message while publishing (connection set-up excluded). */
  genSteadyCpuUsPerMsg: number;
  /** Broker CPU (all threads, with the gateway's broker node processes) per acknowledged message, once every kit is connected. */
  brokerCpuUsPerMsg: number | null;
  errors: Record<string, number>;
  /** Open stream clients during the run (0: none); what they received; how many the gateway dropped as too slow. */
  streams?: number;
  /** Kits each stream followed (`?devices=`); 0: fleet streams. */
  streamDevices?: number;
  streamMiBPerS?: number;
  streamsDropped?: number;
}

type Sample = { lag: number | null; rss: number | null; heap?: IngestRow['heap'] };

/** One broker under test, started for one run. */
interface Target {
  label: string;
  port: number;
  pid: number | undefined;
  /** Other processes that count as the broker's (a TLS terminator in front of the gateway). */
  helperPids?: number[];
  /** The gateway's local API (stream clients). */
  http?: { port: number; token: string };
  /** Kits that run a cook (their commands are timed). */
  commandKits: string[];
  sample?: () => Promise<Sample>;
  stop(): Promise<void>;
}

/** `sousvide bench ingest`: the gateway (TLS, auth, strict parse, durable commit before PUBACK) vs bare Mosquitto under the same generator. */
export async function benchIngest(o: IngestBenchOptions): Promise<IngestRow[]> {
  const work = mkdtempSync(join(tmpdir(), 'sv-bench-ingest-'));
  const maxKits = Math.max(...o.kits);
  o.log(`provisioning ${maxKits} kits (scrypt hashes) …`);
  const hosted = await prepareHostedGateway(work, maxKits, 'bench');
  const nodes = o.gatewayNodes ?? 1;
  const redis = nodes > 1 ? await startRedisServer({ dir: work, port: await freePort() }) : undefined;

  const startTarget = async (broker: IngestBroker, n: number): Promise<Target> => {
    if (broker === 'mosquitto') {
      const port = await freePort();
      const m = await startMosquitto({ dir: work, port, certFile: hosted.pki.serverCertFile, keyFile: hosted.pki.serverKeyFile });
      return { label: broker, port, pid: m.child.pid, commandKits: [], stop: () => m.stop() };
    }
    const main = broker === 'baseline' ? o.baselineMain : undefined;
    const gw = await hosted.start(join(work, `${broker}-${n}.log`), {
      nodes,
      clusterRedisUrl: redis?.url,
      main,
      tlsTerminator: o.tlsTerminator,
      kits: n,
    });
    const terminator = gw.terminator;
    const helperPids = terminator?.pids ?? [];
    // A tenth of the kits (at most 200) run a cook, so that control traffic is real: their
    // readings drive the engine, whose commands they time.
    const commandKits = hosted.kits.slice(0, Math.min(200, Math.ceil(n / 10))).map((k) => k.id);
    await startCooks(gw.httpPort, hosted.token, commandKits);
    const base = broker === 'baseline' ? 'gateway (baseline)' : 'gateway';
    const parts = [nodes > 1 ? `${nodes} broker nodes` : '', terminator ? `behind ${helperPids.length} HAProxy` : ''].filter(Boolean);
    return {
      label: parts.length ? `${base} (${parts.join(', ')})` : base,
      port: gw.mqttPort,
      pid: gw.child.pid,
      helperPids,
      commandKits,
      http: { port: gw.httpPort, token: hosted.token },
      sample: async () => {
        const s = parseSample(await gw.metrics());
        const helpers = helperPids.reduce((sum, pid) => sum + (processRssBytes(pid) ?? 0), 0);
        return s.rss === null ? s : { ...s, rss: s.rss + helpers / 2 ** 20 };
      },
      stop: () => gw.stop(),
    };
  };

  const rows: IngestRow[] = [];
  let boot = 0;
  try {
    for (const n of o.kits) {
      for (const broker of o.brokers) {
        // With --streams, each gateway run is a pair: without streams, then with them (same kits, same load).
        for (const streams of broker === 'gateway' && o.streams ? [0, o.streams] : [0]) {
          boot++;
          const target = await startTarget(broker, n);
          const row = await runOne(o, target, n, boot, hosted, work, streams);
          rows.push(row);
          o.log(formatRow(row));
          if (row.heap)
            o.log(
              `${row.broker}: V8 heap used ${row.heap.usedMb} MiB of ${row.heap.totalMb}, external ${row.heap.externalMb} MiB (gateway process, end of run)`,
            );
        }
      }
    }
  } finally {
    await redis?.stop();
  }
  return rows;
}

async function runOne(
  o: IngestBenchOptions,
  target: Target,
  n: number,
  boot: number,
  hosted: { pki: { caFile: string }; kits: { id: string; secret: string }[] },
  work: string,
  streams = 0,
): Promise<IngestRow> {
  const perStream = o.streamDevices ?? 0;
  const clients =
    streams > 0 && target.http
      ? await openStreamClients(target.http.port, target.http.token, streams, {
          kits: hosted.kits.slice(0, n).map((k) => k.id),
          perStream,
        })
      : undefined;
  if (clients) target.label = `${target.label} + ${clients.opened()} ${perStream > 0 ? `streams of ${perStream} kits` : 'fleet streams'}`;
  const samples: Sample[] = [];
  const sampler = setInterval(
    () =>
      void target.sample?.().then(
        (s) => samples.push(s),
        () => {},
      ),
    2000,
  );
  o.log(`${target.label}: ${n} kits × ${o.rate} msg/s for ${o.durationS} s …`);
  // The broker's CPU is read once every kit has connected (handshakes and scrypt excluded)
  // and again at the end, against the messages acknowledged in between.
  const steady = new BrokerCpuWindow([target.pid, ...(target.helperPids ?? [])], n);
  const withSecrets = target.label !== 'mosquitto';
  const result = await runPartitions(
    {
      host: '127.0.0.1',
      port: target.port,
      caFile: hosted.pki.caFile,
      ratePerKit: o.rate,
      durationS: o.durationS,
      connectParallelism: o.connectParallelism,
      qos: 1,
      boot,
      commandKits: target.commandKits,
      client: o.client ?? 'native',
    },
    hosted.kits.slice(0, n).map((k) => (withSecrets ? k : { id: k.id })),
    o.partitions,
    work,
    (total) => steady.progress(total),
  );
  clearInterval(sampler);
  const brokerCpuUsPerMsg = steady.finish(result.counters.acked);
  clients?.close();
  const last: Sample | undefined = target.sample ? await target.sample().catch(() => ({ lag: null, rss: null })) : undefined;
  if (last) samples.push(last);
  await target.stop();
  const row = toRow(target.label, n, o.durationS, result, samples, brokerCpuUsPerMsg);
  if (row.rssMb !== null && row.connected > 0) row.rssKbPerKit = Math.round((row.rssMb * 1024) / row.connected);
  row.heap = last?.heap ?? null;
  if (!clients) return row;
  return {
    ...row,
    streams: clients.opened(),
    streamDevices: perStream,
    streamMiBPerS: Math.round((clients.bytes() / 2 ** 20 / o.durationS) * 100) / 100,
    streamsDropped: clients.dropped(),
  };
}

/**
 * Event-loop lag p99 (ms): the worst of the gateway process and its broker nodes; RSS (MiB): the
 * sum of the gateway process and its broker nodes.
 */
export function parseSample(metrics: string): Sample {
  const values = (re: RegExp) => [...metrics.matchAll(re)].map((m) => Number(m[1]));
  const lags = [
    ...values(/^event_loop_lag_seconds\{quantile="0.99"\} ([\d.e+-]+)$/gm),
    ...values(/^broker_node_event_loop_lag_seconds\{node="\d+",quantile="0.99"\} ([\d.e+-]+)$/gm),
  ];
  const rss = [
    ...values(/^process_resident_memory_bytes ([\d.e+-]+)$/gm),
    ...values(/^broker_node_resident_memory_bytes\{node="\d+"\} ([\d.e+-]+)$/gm),
  ];
  const mb = (re: RegExp) => Math.round(((values(re)[0] ?? 0) / 2 ** 20) * 10) / 10;
  const sample: Sample = {
    lag: lags.length ? Math.max(...lags) * 1000 : null,
    rss: rss.length ? rss.reduce((a, b) => a + b, 0) / 2 ** 20 : null,
  };
  // The gateway process's own V8 heap, when its metrics have it.
  if (/^nodejs_heap_size_used_bytes /m.test(metrics)) {
    sample.heap = {
      usedMb: mb(/^nodejs_heap_size_used_bytes ([\d.e+-]+)$/gm),
      totalMb: mb(/^nodejs_heap_size_total_bytes ([\d.e+-]+)$/gm),
      externalMb: mb(/^nodejs_external_memory_bytes ([\d.e+-]+)$/gm),
    };
  }
  return sample;
}

function toRow(
  broker: string,
  kits: number,
  durationS: number,
  r: LoadResult,
  samples: Sample[],
  brokerCpuUsPerMsg: number | null,
): IngestRow {
  const lags = samples.map((s) => s.lag).filter((x): x is number => x !== null);
  const rss = samples.map((s) => s.rss).filter((x): x is number => x !== null);
  const round = (x: number | null) => (x === null ? null : Math.round(x * 10) / 10);
  return {
    broker,
    kits,
    connected: r.counters.connected,
    published: r.counters.published,
    acked: r.counters.acked,
    ackedPct: r.counters.published === 0 ? 0 : Math.round((r.counters.acked / r.counters.published) * 100_000) / 1000,
    msgPerS: Math.round(r.counters.acked / durationS),
    p50: round(r.puback.quantile(0.5)),
    p95: round(r.puback.quantile(0.95)),
    p99: round(r.puback.quantile(0.99)),
    max: Math.round(r.puback.max),
    cmdCount: r.command.count,
    cmdP50: round(r.command.quantile(0.5)),
    cmdP99: round(r.command.quantile(0.99)),
    loopLagP99Ms: lags.length ? round(Math.max(...lags)) : null,
    rssMb: rss.length ? Math.round(Math.max(...rss)) : null,
    rssKbPerKit: null,
    heap: null,
    genCpuUsPerMsg: r.counters.published === 0 ? 0 : Math.round((r.cpuMs * 1000) / r.counters.published),
    genSteadyCpuUsPerMsg: r.counters.published === 0 ? 0 : Math.round((r.steadyCpuMs * 1000) / r.counters.published),
    brokerCpuUsPerMsg,
    errors: r.errors,
  };
}

export function formatRow(r: IngestRow): string {
  const ms = (x: number | null) => (x === null ? '–' : `${x}`);
  return `| ${r.broker} | ${r.kits} | ${r.connected} | ${r.published} | ${r.ackedPct} % | ${r.msgPerS} | ${ms(r.p50)} | ${ms(r.p95)} | ${ms(r.p99)} | ${r.max} | ${r.cmdCount ? `${ms(r.cmdP50)} / ${ms(r.cmdP99)} (${r.cmdCount})` : '–'} | ${ms(r.loopLagP99Ms)} | ${r.rssMb ?? '–'} | ${r.rssKbPerKit ?? '–'} | ${r.brokerCpuUsPerMsg ?? '–'} | ${r.genSteadyCpuUsPerMsg} / ${r.genCpuUsPerMsg} | ${
    Object.entries(r.errors)
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ') || '–'
  } |`;
}

export const TABLE_HEADER = [
  '| broker | kits | connected | published | acked | msg/s | PUBACK p50 ms | p95 ms | p99 ms | max ms | telemetry→command p50 / p99 ms (n) | loop lag p99 ms | RSS MB | RSS KiB/kit | broker µs CPU/msg (steady) | generator µs CPU/msg (steady / with connects) | errors |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
];

/** Broker CPU per acknowledged message from the moment every kit is connected to the end of the run. */
class BrokerCpuWindow {
  private cpu0: number | null = null;
  private acked0 = 0;

  constructor(
    private readonly pids: (number | undefined)[],
    private readonly kits: number,
  ) {}

  private cpuMs(): number | null {
    let sum = 0;
    for (const pid of this.pids) {
      const ms = processTreeCpuMs(pid);
      if (ms === null) return null;
      sum += ms;
    }
    return sum;
  }

  progress(total: PartitionCounters): void {
    if (this.cpu0 !== null || total.connected + total.connectFailed < this.kits) return;
    this.cpu0 = this.cpuMs();
    this.acked0 = total.acked;
  }

  finish(acked: number): number | null {
    const cpu1 = this.cpuMs();
    if (this.cpu0 === null || cpu1 === null || acked <= this.acked0) return null;
    return Math.round(((cpu1 - this.cpu0) * 1000) / (acked - this.acked0));
  }
}
