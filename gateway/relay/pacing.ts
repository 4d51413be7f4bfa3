/**
 * How hard the relay pushes: backoff after failures and the adaptive batch size. Pure and
 * clock-free (the caller passes randomness and measurements), so tests check them directly.
 */

/**
 * Exponential backoff with decorrelated jitter (AWS Architecture Blog, "Exponential Backoff And
 * Jitter"): sleep = min(max, random(base, previous × 3)). Jitter spreads a fleet of gateways
 * that lost the cloud at the same moment, so they do not come back in lockstep.
 */
/** Where a backoff stands: the last wait and the failures since the last success. */
export interface BackoffState {
  previous: number;
  failures: number;
}
export const BACKOFF_RESET: BackoffState = Object.freeze({ previous: 0, failures: 0 });

/**
 * The wait before the next attempt, and the backoff after it; a server's Retry-After is a floor,
 * never shortened. `random` is in [0, 1).
 */
export function nextBackoff(
  b: BackoffState,
  baseMs: number,
  maxMs: number,
  random: number,
  retryAfterMs = 0,
): { backoff: BackoffState; waitMs: number } {
  const upper = Math.max(baseMs, b.previous * 3);
  const jittered = Math.min(maxMs, baseMs + random * (upper - baseMs));
  return { backoff: { previous: jittered, failures: b.failures + 1 }, waitMs: Math.max(jittered, retryAfterMs) };
}

export class Backoff {
  private state: BackoffState = BACKOFF_RESET;

  constructor(
    private readonly baseMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  get failures(): number {
    return this.state.failures;
  }

  /** The wait before the next attempt; a server's Retry-After is a floor, never shortened. */
  next(retryAfterMs = 0): number {
    const r = nextBackoff(this.state, this.baseMs, this.maxMs, this.random(), retryAfterMs);
    this.state = r.backoff;
    return r.waitMs;
  }

  reset(): void {
    this.state = BACKOFF_RESET;
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
export interface SizerLimits {
  min: number;
  max: number;
  targetLatencyMs: number;
}

export function initialBatchSize(l: SizerLimits): number {
  return Math.min(l.max, Math.max(l.min, 500));
}

/** The next batch size after a batch of `records` was acknowledged in `latencyMs`. */
export function sizeAfterSuccess(current: number, l: SizerLimits, records: number, latencyMs: number): number {
  if (latencyMs > l.targetLatencyMs) return shrunk(current, l);
  if (records >= current) return Math.min(l.max, Math.ceil(current * (latencyMs < l.targetLatencyMs / 2 ? 2 : 1.5)));
  return current;
}

export function shrunk(current: number, l: SizerLimits): number {
  return Math.max(l.min, Math.floor(current / 2));
}

export class BatchSizer {
  current: number;
  private readonly limits: SizerLimits;

  constructor(min: number, max: number, targetLatencyMs: number) {
    this.limits = { min, max, targetLatencyMs };
    this.current = initialBatchSize(this.limits);
  }

  onSuccess(records: number, latencyMs: number): void {
    this.current = sizeAfterSuccess(this.current, this.limits, records, latencyMs);
  }

  shrink(): void {
    this.current = shrunk(this.current, this.limits);
  }
}
