import type { PartitionCounters } from '../partition.js';

/** One sample of a run, every few seconds: what the kits saw and what the gateway reported. */
export interface TimelinePoint {
  /** Seconds since the sampler started. */
  t: number;
  publishedPerS: number;
  ackedPerS: number;
  connected: number;
  /** Gateway-side PUBACK latency p95 over the interval (upper bound of its histogram bucket), ms. */
  gatewayPubackP95Ms: number | null;
  loopLagP99Ms: number | null;
  rssMb: number | null;
}

/**
 * Samples a run for its chart and its resource figures: the kits' counters (from the partitions'
 * progress) and the gateway's /metrics (RSS, event-loop lag, PUBACK histogram deltas).
 */
export class Timeline {
  readonly points: TimelinePoint[] = [];
  private latest: PartitionCounters | undefined;
  private prev: { at: number; published: number; acked: number; buckets: Map<number, number> } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private started = 0;

  constructor(
    private readonly metrics: () => Promise<string | undefined | null>,
    private readonly everyMs = 2000,
  ) {}

  onProgress(c: PartitionCounters): void {
    this.latest = c;
  }

  start(): void {
    this.started = Date.now();
    this.timer = setInterval(() => void this.sample(), this.everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  get rssMaxMb(): number | null {
    const v = this.points.map((p) => p.rssMb).filter((x): x is number => x !== null);
    return v.length ? Math.round(Math.max(...v)) : null;
  }

  get loopLagP99MaxMs(): number | null {
    const v = this.points.map((p) => p.loopLagP99Ms).filter((x): x is number => x !== null);
    return v.length ? Math.round(Math.max(...v) * 10) / 10 : null;
  }

  private async sample(): Promise<void> {
    const at = Date.now();
    const text = await this.metrics().catch(() => undefined);
    const c = this.latest ?? { published: 0, acked: 0, connected: 0 };
    const buckets = text ? pubackBuckets(text) : new Map<number, number>();
    const prev = this.prev;
    this.prev = { at, published: c.published, acked: c.acked, buckets };
    if (!prev) return;
    const dt = (at - prev.at) / 1000;
    const num = (re: RegExp) => {
      const m = text ? re.exec(text) : null;
      return m ? Number(m[1]) : null;
    };
    const rss = num(/^process_resident_memory_bytes ([\d.e+-]+)$/m);
    const lag = num(/^event_loop_lag_seconds\{quantile="0.99"\} ([\d.e+-]+)$/m);
    this.points.push({
      t: Math.round((at - this.started) / 100) / 10,
      publishedPerS: Math.round((c.published - prev.published) / dt),
      ackedPerS: Math.round((c.acked - prev.acked) / dt),
      connected: c.connected,
      gatewayPubackP95Ms: intervalQuantile(prev.buckets, buckets, 0.95),
      loopLagP99Ms: lag === null ? null : lag * 1000,
      rssMb: rss === null ? null : Math.round(rss / 2 ** 20),
    });
  }
}

/** Cumulative bucket counts of puback_latency_seconds by upper bound (ms). */
function pubackBuckets(text: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const m of text.matchAll(/^puback_latency_seconds_bucket\{le="([^"]+)"\} ([\d.e+-]+)$/gm)) {
    out.set(m[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(m[1]) * 1000, Number(m[2]));
  }
  return out;
}

/** The quantile of the observations between two scrapes, as the upper bound of its bucket. */
export function intervalQuantile(before: Map<number, number>, after: Map<number, number>, q: number): number | null {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const inf = after.get(Number.POSITIVE_INFINITY) ?? 0;
  const total = inf - (before.get(Number.POSITIVE_INFINITY) ?? 0);
  if (total <= 0) return null;
  for (const le of bounds) {
    if ((after.get(le) ?? 0) - (before.get(le) ?? 0) >= q * total) return Number.isFinite(le) ? le : null;
  }
  return null;
}
