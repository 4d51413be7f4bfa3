import { monotonicNow } from './monotonic.js';

/** A move of the wall clock against the monotonic one of at least this much is a step (logged once). */
export const CLOCK_STEP_MS = 1000;

/**
 * Steady time (ADR 048). The wall clock can step: NTP's first sync on a Raspberry Pi without a
 * real-time clock (hours, even days, after boot), an operator's `date -s`, a laptop that resumes.
 * What measures durations from stored instants (control's offline timeout, press deadlines, a
 * cook's timer, the fail-safe's re-send back-off, the slope of the last readings; the relay's
 * retry and heartbeat) would lie: a step back freezes them for as long as the step, a step
 * forward makes them jump.
 *
 * Steady time is the wall clock at start, advanced by the monotonic clock only. It reads like
 * epoch milliseconds, and equals the wall clock until the wall clock steps. What leaves for people
 * and other systems (events, audit, cook stamps, ready/done/safe times, the relay's last success)
 * is put back on the wall clock with `toWall`; an instant read back from the store is put on
 * steady time with `fromWall`.
 *
 * Tests that drive time by hand give the same function as both clocks: then nothing ever steps.
 */
export class SteadyClock {
  private readonly startWall: number;
  private readonly startMono: number;
  private lastOffset = 0;

  constructor(
    private readonly wall: () => number = Date.now,
    private readonly mono: () => number = monotonicNow,
  ) {
    this.startWall = wall();
    this.startMono = mono();
  }

  /** Steady time: epoch milliseconds that never step (integer, never decreasing). */
  now(): number {
    return Math.floor(this.startWall + (this.mono() - this.startMono));
  }

  /** The wall clock, as it reads now (stamps for records). */
  wallNow(): number {
    return this.wall();
  }

  /** How far the wall clock has moved away from steady time since start (0 until it steps). */
  offsetMs(): number {
    return this.wall() - this.now();
  }

  /** A steady instant on today's wall clock. */
  toWall(steadyMs: number): number {
    return steadyMs + this.offsetMs();
  }

  /** A wall-clock instant (a stored reading's time) on steady time. */
  fromWall(wallMs: number): number {
    return wallMs - this.offsetMs();
  }

  /**
   * The wall clock's step since the last call, in ms (wall − steady), when it moved by at least
   * CLOCK_STEP_MS; null otherwise. NTP's slewing (a few ms a minute) never adds up to one between calls.
   */
  step(): number | null {
    const offset = this.offsetMs();
    const moved = offset - this.lastOffset;
    if (Math.abs(moved) < CLOCK_STEP_MS) return null;
    this.lastOffset = offset;
    return moved;
  }
}
