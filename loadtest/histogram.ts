/**
 * A mergeable latency histogram with log buckets (3 % wide, 0.05 ms to ~2 h): fixed memory,
 * cheap to record, exact enough for p50/p95/p99, and summable across partitions.
 */
const BASE_MS = 0.05;
const RATIO = 1.03;
const BUCKETS = 600;
const LOG_RATIO = Math.log(RATIO);

export class Histogram {
  readonly counts: number[];
  count = 0;
  max = 0;

  constructor(counts?: number[]) {
    this.counts = counts ?? new Array<number>(BUCKETS).fill(0);
    for (const c of this.counts) this.count += c;
  }

  record(ms: number): void {
    const i = ms <= BASE_MS ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / BASE_MS) / LOG_RATIO));
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.count++;
    if (ms > this.max) this.max = ms;
  }

  merge(other: { counts: number[]; max: number }): void {
    for (let i = 0; i < BUCKETS; i++) {
      const c = other.counts[i] ?? 0;
      this.counts[i] = (this.counts[i] ?? 0) + c;
      this.count += c;
    }
    if (other.max > this.max) this.max = other.max;
  }

  /** Upper bound of the bucket holding the q-quantile (0..1), in ms; null when empty. */
  quantile(q: number): number | null {
    if (this.count === 0) return null;
    const rank = Math.ceil(q * this.count);
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) return Math.min(BASE_MS * RATIO ** i, this.max);
    }
    return this.max;
  }

  toJSON(): { counts: number[]; max: number } {
    return { counts: this.counts, max: this.max };
  }
}
