import { monotonicNow } from '../../shared/time/monotonic.js';

/**
 * Abuse limits at the edge (all configurable, all counted), on the monotonic clock:
 * - TokenBucket: connection rate per source address and publish rate per device;
 * - AuthThrottle: after repeated failed authentications from an address, a growing delay before
 *   the refusal and then a temporary ban (a brute-forcer gets slower answers, then none).
 * Buckets are kept in maps swept periodically so that many addresses cannot grow memory forever.
 */
export class TokenBucket {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
    private readonly now: () => number = monotonicNow,
  ) {}

  take(key: string): boolean {
    if (this.ratePerSec <= 0) return true; // 0 = unlimited
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: t };
    b.tokens = Math.min(this.burst, b.tokens + ((t - b.at) / 1000) * this.ratePerSec);
    b.at = t;
    const ok = b.tokens >= 1;
    if (ok) b.tokens -= 1;
    this.buckets.set(key, b);
    return ok;
  }

  /** Forgets buckets that are full again (idle keys). */
  sweep(): void {
    const t = this.now();
    for (const [key, b] of this.buckets) if (b.tokens + ((t - b.at) / 1000) * this.ratePerSec >= this.burst) this.buckets.delete(key);
  }

  forget(key: string): void {
    this.buckets.delete(key);
  }
}

export interface AuthThrottleOptions {
  /** Failures tolerated before the address is banned. */
  maxFailures: number;
  /** Window in which failures are counted. */
  windowMs: number;
  banMs: number;
  /** First delay; doubles with each further failure, capped at maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export class AuthThrottle {
  private readonly entries = new Map<string, { failures: number; first: number; bannedUntil: number }>();
  constructor(
    private readonly opts: AuthThrottleOptions,
    private readonly now: () => number = monotonicNow,
  ) {}

  isBanned(addr: string): boolean {
    const e = this.entries.get(addr);
    return e !== undefined && e.bannedUntil > this.now();
  }

  /** Records a failure; returns how long to wait before answering, and whether the address is now banned. */
  fail(addr: string): { delayMs: number; banned: boolean } {
    const t = this.now();
    let e = this.entries.get(addr);
    if (!e || t - e.first > this.opts.windowMs) e = { failures: 0, first: t, bannedUntil: 0 };
    e.failures++;
    if (e.failures >= this.opts.maxFailures) e.bannedUntil = t + this.opts.banMs;
    this.entries.set(addr, e);
    const delayMs = Math.min(this.opts.maxDelayMs, this.opts.baseDelayMs * 2 ** (e.failures - 1));
    return { delayMs, banned: e.bannedUntil > t };
  }

  succeed(addr: string): void {
    const e = this.entries.get(addr);
    if (e && e.bannedUntil <= this.now()) this.entries.delete(addr);
  }

  sweep(): void {
    const t = this.now();
    for (const [addr, e] of this.entries) if (e.bannedUntil <= t && t - e.first > this.opts.windowMs) this.entries.delete(addr);
  }
}
