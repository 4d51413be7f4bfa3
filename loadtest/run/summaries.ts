import type { LoadResult } from '../run-partitions.js';
import type { ProcessSummary } from './process-meter.js';

/**
 * The design's split summaries (docs/load-test-scenarios.md):
 * - connection level: what the kits saw (published, failed, throughput, connects);
 * - business level: what the pipeline did (recv, parse, store, influx, redis), with
 *   pipeline success = min(parse_ok, influx_ok, redis_ok) / recv and
 *   core pipeline success = min(parse_ok, redis_ok) / recv.
 */
export interface ConnectionSummary {
  run_id: string;
  attempt: number;
  kits: number;
  connected: number;
  connect_failed: number;
  connect_success_rate: number;
  connect_ms: { p50: number | null; p95: number | null; p99: number | null; max: number };
  published_total: number;
  acked_total: number;
  failed_total: number;
  throughput_total: number;
  connection_success_rate: number;
  puback_ms: { p50: number | null; p95: number | null; p99: number | null; max: number };
  telemetry_to_command_ms: { n: number; p50: number | null; p99: number | null };
  failure_signatures: Record<string, number>;
  /** Full mode: publish → visible through the cloud API (sample kits polled; see visibility-probe.ts). */
  publish_to_visible_ms?: {
    n: number;
    p50: number | null;
    p95: number | null;
    p99: number | null;
    max: number;
    poll_interval_ms: number;
    sample_kits: number;
    probe_errors: number;
  };
  /** The gateway's resources during the run (sampled from its /metrics every few seconds). */
  gateway?: { rss_max_mb: number | null; loop_lag_p99_max_ms: number | null };
  /**
   * RSS and CPU of every process of the run (the gateway and each of its broker nodes, the cloud,
   * the store servers the run started), each and summed per group, with CPU per acknowledged message.
   */
  processes?: ProcessSummary;
  /** Full mode: time from the end of the load until the gateway's outbox was empty (null: not within the wait). */
  relay_drain_after_load_ms?: number | null;
  generator: { partitions: number; cpu_us_per_msg: number; nofile_limit: number | null };
}

export interface BusinessCounters {
  recv_total: number;
  parse_ok_total: number;
  parse_fail_total: number;
  store_ok_total: number;
  store_fail_total: number;
  influx_ok_total: number;
  influx_fail_total: number;
  influx_bypass_total: number;
  redis_ok_total: number;
  redis_fail_total: number;
}

export interface BusinessSummary extends BusinessCounters {
  run_id: string;
  attempt: number;
  /** Sinks not in this run (no cloud): counted as bypass, per the design's bypass mode. */
  mode: 'full' | 'gateway-only';
  pipeline_success_total: number;
  core_pipeline_success_total: number;
  business_pipeline_success_rate: number;
  business_core_pipeline_success_rate: number;
  parse_failure_rate: number;
}

/** p50/p95/p99/max of a latency histogram, as the summaries report them. */
export const q = (h: LoadResult['puback']) => ({
  p50: h.quantile(0.5),
  p95: h.quantile(0.95),
  p99: h.quantile(0.99),
  max: Math.round(h.max),
});
const rate = (a: number, b: number) => (b === 0 ? 0 : Math.round((a / b) * 1e6) / 1e6);

export function connectionSummary(
  runId: string,
  attempt: number,
  kits: number,
  durationS: number,
  r: LoadResult,
  nofile: number | null,
): ConnectionSummary {
  const c = r.counters;
  return {
    run_id: runId,
    attempt,
    kits,
    connected: c.connected,
    connect_failed: c.connectFailed,
    connect_success_rate: rate(c.connected, kits),
    connect_ms: q(r.connect),
    published_total: c.published,
    acked_total: c.acked,
    failed_total: c.failed,
    throughput_total: Math.round(c.acked / durationS),
    // design formula: published / (published + failed), where "published" means acknowledged
    connection_success_rate: rate(c.acked, c.acked + c.failed),
    puback_ms: q(r.puback),
    telemetry_to_command_ms: { n: r.command.count, p50: r.command.quantile(0.5), p99: r.command.quantile(0.99) },
    failure_signatures: r.errors,
    generator: {
      partitions: r.partitions,
      cpu_us_per_msg: c.published ? Math.round((r.cpuMs * 1000) / c.published) : 0,
      nofile_limit: nofile,
    },
  };
}

export function businessSummary(runId: string, attempt: number, b: BusinessCounters, mode: BusinessSummary['mode']): BusinessSummary {
  // Without a cloud the durable sink is the gateway's store (influx counted as bypass).
  const pipeline =
    mode === 'full' ? Math.min(b.parse_ok_total, b.influx_ok_total, b.redis_ok_total) : Math.min(b.parse_ok_total, b.store_ok_total);
  const core = mode === 'full' ? Math.min(b.parse_ok_total, b.redis_ok_total) : Math.min(b.parse_ok_total, b.store_ok_total);
  return {
    run_id: runId,
    attempt,
    mode,
    ...b,
    pipeline_success_total: pipeline,
    core_pipeline_success_total: core,
    business_pipeline_success_rate: rate(pipeline, b.recv_total),
    business_core_pipeline_success_rate: rate(core, b.recv_total),
    parse_failure_rate: rate(b.parse_fail_total, b.recv_total),
  };
}

/** Sum of a counter's series (all labels) in Prometheus text. */
function sumOf(metrics: string, name: string): number {
  let total = 0;
  for (const m of metrics.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+(?:\\.\\d+)?)$`, 'gm'))) total += Number(m[1]);
  return total;
}

/** Reads the gateway's pipeline counters from its Prometheus text. */
export function gatewayCounters(
  metrics: string,
): Pick<BusinessCounters, 'recv_total' | 'parse_ok_total' | 'parse_fail_total' | 'store_ok_total' | 'store_fail_total'> {
  const sum = (name: string) => sumOf(metrics, name);
  return {
    recv_total: sum('mqtt_recv_total'),
    parse_ok_total: sum('parse_ok_total'),
    parse_fail_total: sum('parse_fail_total'),
    store_ok_total: sum('store_ok_total'),
    store_fail_total: sum('store_fail_total'),
  };
}

/** Reads the cloud's sink counters (records) from its Prometheus text: the full mode's influx/redis figures. */
export function cloudCounters(
  metrics: string,
): Pick<BusinessCounters, 'influx_ok_total' | 'influx_fail_total' | 'influx_bypass_total' | 'redis_ok_total' | 'redis_fail_total'> {
  return {
    influx_ok_total: sumOf(metrics, 'influx_ok_total'),
    influx_fail_total: sumOf(metrics, 'influx_fail_total'),
    influx_bypass_total: 0,
    redis_ok_total: sumOf(metrics, 'redis_ok_total'),
    redis_fail_total: sumOf(metrics, 'redis_fail_total'),
  };
}
