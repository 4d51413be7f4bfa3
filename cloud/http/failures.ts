/**
 * Failed authentications in a sliding window (docs/adr/027-tenancy.md): `record` adds one failure
 * at `nowMs` and answers how many fell within the last `windowMs`, so a burst across a minute
 * boundary counts as one burst. In memory per instance, or in Redis (failures-redis.ts) so that
 * every instance sees the same count.
 */
export interface FailureWindow {
  record(key: string, nowMs: number): Promise<number>;
  count(key: string, nowMs: number): Promise<number>;
}

/** A sliding log per key, keeping only the newest `cap` timestamps (enough to compare with the limit). */
export class MemoryFailureWindow implements FailureWindow {
  private readonly log = new Map<string, number[]>();
  constructor(
    private readonly windowMs: number,
    private readonly cap: number,
  ) {}

  async record(key: string, nowMs: number): Promise<number> {
    const kept = this.recent(key, nowMs);
    kept.push(nowMs);
    if (kept.length > this.cap) kept.splice(0, kept.length - this.cap);
    this.log.set(key, kept);
    if (this.log.size > 100_000) this.sweep(nowMs);
    return kept.length;
  }

  async count(key: string, nowMs: number): Promise<number> {
    return this.recent(key, nowMs).length;
  }

  private recent(key: string, nowMs: number): number[] {
    const from = nowMs - this.windowMs;
    return (this.log.get(key) ?? []).filter((ts) => ts > from);
  }

  private sweep(nowMs: number): void {
    for (const [key, ts] of this.log) if ((ts[ts.length - 1] ?? 0) <= nowMs - this.windowMs) this.log.delete(key);
  }
}
