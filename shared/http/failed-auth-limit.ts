import { monotonicNow } from '../time/monotonic.js';

/**
 * Failed authentications per key (a client address, an account) in a sliding window. The caller
 * checks the credential first: a correct one is never refused, whatever its address did, so the
 * limit stops guessing, not users. Past `limit` failures within `windowMs`, a failure answers 429
 * with the seconds until the oldest failure leaves the window. Memory is bounded: at most `limit`
 * times per key, and `maxKeys` keys (the stalest go first).
 */
export class FailedAuthLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs = 60_000,
    /** The monotonic clock: a wall clock stepped back would hold every key shut for the step. */
    private readonly now: () => number = monotonicNow,
    private readonly maxKeys = 10_000,
  ) {}

  /** Records a failure; returns the seconds to wait when the key is over the limit, else 0. */
  fail(key: string): number {
    const now = this.now();
    const times = this.recent(key, now);
    times.push(now);
    if (times.length > this.limit + 1) times.shift();
    this.failures.delete(key); // re-inserted last: the map stays ordered from stalest to freshest
    this.failures.set(key, times);
    if (this.failures.size > this.maxKeys) this.failures.delete(this.failures.keys().next().value as string);
    return times.length > this.limit ? this.retryAfterS(times, now) : 0;
  }

  /** Seconds until `key` may fail again without a 429 (0: not limited). */
  waitS(key: string): number {
    const now = this.now();
    const times = this.recent(key, now);
    return times.length >= this.limit ? this.retryAfterS(times, now) : 0;
  }

  private recent(key: string, now: number): number[] {
    const times = this.failures.get(key) ?? [];
    while (times.length > 0 && times[0]! <= now - this.windowMs) times.shift();
    return times;
  }

  private retryAfterS(times: number[], now: number): number {
    const oldest = times[times.length - this.limit] ?? times[0]!;
    return Math.max(1, Math.ceil((oldest + this.windowMs - now) / 1000));
  }
}
