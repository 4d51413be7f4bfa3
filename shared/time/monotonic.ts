import { performance } from 'node:perf_hooks';

/**
 * Milliseconds on the monotonic clock (Linux's CLOCK_MONOTONIC: slewed by NTP, never stepped).
 * What measures a duration in memory (rate limits, bans, windows, back-offs, control's timers)
 * reads this, not the wall clock: a wall clock stepped back an hour would otherwise hold every
 * limit shut for that hour, and one stepped forward would open them all at once (ADR 048).
 * Not an epoch: only differences mean anything.
 */
export const monotonicNow = (): number => performance.now();
