/**
 * How hard the relay pushes: backoff after failures and the adaptive batch size. Pure and
 * clock-free (the caller passes randomness and measurements), so tests check them directly.
 */

/**
 * Exponential backoff with decorrelated jitter (AWS Architecture Blog, "Exponential Backoff And
 * Jitter"): sleep = min(max, random(base, previous × 3)). Jitter spreads a fleet of gateways
 * that lost the cloud at the same moment, so they do not come back in lockstep.
 */
export class Backoff {
  private previous = 0;
  failures = 0;

  constructor(
    private readonly baseMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** The wait before the next attempt; a server's Retry-After is a floor, never shortened. */
  next(retryAfterMs = 0): number {
    this.failures++;
    const upper = Math.max(this.baseMs, this.previous * 3);
    const jittered = Math.min(this.maxMs, this.baseMs + this.random() * (upper - this.baseMs));
    this.previous = jittered;
    return Math.max(jittered, retryAfterMs);
  }

  reset(): void {
    this.previous = 0;
    this.failures = 0;
  }
}

/** Retry-After as delay seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/**
 * Batch size grows while the cloud keeps up and halves when it does not: a full batch answered
 * faster than the target latency grows the next one (doubles it under half the target, else by
 * half); a slow answer or a failure halves it. The cloud's own latency is the signal, so a
 * struggling cloud gets smaller, gentler batches, and a fast one reaches full batches in a few
 * round trips (500 → 20,000 in six).
 */
export class BatchSizer {
  current: number;

  constructor(
    private readonly min: number,
    private readonly max: number,
    private readonly targetLatencyMs: number,
  ) {
    this.current = Math.min(max, Math.max(min, 500));
  }

  onSuccess(records: number, latencyMs: number): void {
    if (latencyMs > this.targetLatencyMs) this.shrink();
    else if (records >= this.current) {
      this.current = Math.min(this.max, Math.ceil(this.current * (latencyMs < this.targetLatencyMs / 2 ? 2 : 1.5)));
    }
  }

  shrink(): void {
    this.current = Math.max(this.min, Math.floor(this.current / 2));
  }
}
