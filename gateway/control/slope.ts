/**
 * A short window of readings and its least-squares line. The slope (°C/s) is what the engine
 * reads the heater from; the fitted level at `now` is steadier than one 0.0625 °C-quantised
 * reading.
 *
 * Readings live in one fixed-size ring per device (typed arrays: 16 bytes a reading, no
 * allocation per reading; it doubles only when a window outgrows it). A `Window` is an immutable
 * view on it: the absolute indices [start, end) of the readings it covers. Pushing writes the new
 * reading in place and returns a new view, so an older view stays readable until the ring wraps
 * over it (capacity − its length more readings). Pushing onto a view that is not the newest
 * (a state stepped twice) copies the ring first, so the states stay values: the newer state's
 * readings are never overwritten, and the copy happens only on such a branch.
 */
export class SampleRing {
  readonly t: Float64Array;
  readonly c: Float64Array;
  readonly mask: number;
  /** Absolute index one past the newest reading written. */
  written = 0;
  constructor(capacity: number, from?: SampleRing) {
    this.t = from === undefined ? new Float64Array(capacity) : from.t.slice();
    this.c = from === undefined ? new Float64Array(capacity) : from.c.slice();
    this.mask = capacity - 1;
  }
  get capacity(): number {
    return this.t.length;
  }
}

export class Window {
  constructor(
    readonly ring: SampleRing,
    /** Absolute index of the oldest reading in the window. */
    readonly start: number,
    /** Absolute index one past the newest reading. */
    readonly end: number,
  ) {}
  /** The readings themselves (logs, snapshots): not the ring's other slots. */
  toJSON(): { t: number[]; c: number[] } {
    const t: number[] = [];
    const c: number[] = [];
    for (let i = this.start; i < this.end; i++) {
      t.push(timeAt(this, i));
      c.push(valueAt(this, i));
    }
    return { t, c };
  }
}

/** 128 readings: the 90 s history at 1 Hz with room to spare (2 KiB a device). */
const FIRST_CAPACITY = 128;
const NO_RING = new SampleRing(0);

export const EMPTY_WINDOW: Window = Object.freeze(new Window(NO_RING, 0, 0));

export function windowLength(w: Window): number {
  return w.end - w.start;
}
export function timeAt(w: Window, i: number): number {
  return w.ring.t[i & w.ring.mask]!;
}
export function valueAt(w: Window, i: number): number {
  return w.ring.c[i & w.ring.mask]!;
}

/** Appends a reading and drops those older than `spanMs` before it: O(1) amortised. */
export function pushSample(w: Window, tMs: number, c: number, spanMs: number): Window {
  let start = w.start;
  while (start < w.end && timeAt(w, start) < tMs - spanMs) start++;
  let ring = w.ring;
  // The ring is full of readings the window still needs (faster telemetry): double it, once.
  if (w.end + 1 - start > ring.capacity) ring = grow(w, start);
  // A branch (this view is not the newest of its ring): write on a copy, never on a newer state's readings.
  else if (ring.written !== w.end) ring = new SampleRing(ring.capacity, ring);
  ring.t[w.end & ring.mask] = tMs;
  ring.c[w.end & ring.mask] = c;
  ring.written = w.end + 1;
  return new Window(ring, start, w.end + 1);
}

function grow(w: Window, start: number): SampleRing {
  const ring = new SampleRing(Math.max(FIRST_CAPACITY, w.ring.capacity * 2));
  for (let i = start; i < w.end; i++) {
    ring.t[i & ring.mask] = timeAt(w, i);
    ring.c[i & ring.mask] = valueAt(w, i);
  }
  return ring;
}

/** The readings of `w` taken at or after `fromMs` (a view on the same ring, nothing copied). */
export function since(w: Window, fromMs: number): Window {
  let start = w.start;
  while (start < w.end && timeAt(w, start) < fromMs) start++;
  return start === w.start ? w : new Window(w.ring, start, w.end);
}

/**
 * The last `spanMs` of `all`, moved on from the previous view `prev` of the same readings: the
 * slope window follows the history without a second copy of the readings.
 */
export function follow(prev: Window, all: Window, spanMs: number): Window {
  if (all.end === all.start) return all;
  const newest = timeAt(all, all.end - 1);
  let start = prev.ring === all.ring ? Math.max(prev.start, all.start) : all.start;
  while (start < all.end && timeAt(all, start) < newest - spanMs) start++;
  return new Window(all.ring, start, all.end);
}

/** A window holding these readings (tests, replays). */
export function windowOf(t: readonly number[], c: readonly number[]): Window {
  let w = EMPTY_WINDOW;
  for (let i = 0; i < t.length; i++) w = pushSample(w, t[i]!, c[i]!, Number.POSITIVE_INFINITY);
  return w;
}

export interface Fit {
  /** °C/s */
  slope: number;
  /** Fitted temperature at the newest sample. */
  level: number;
  /** Time the window covers, s: a slope over a few seconds is mostly quantisation. */
  spanS: number;
}

/** Null until the window holds ≥ 5 samples over ≥ 5 s (a slope from fewer is mostly noise). */
export function fitLine(w: Window): Fit | null {
  const n = w.end - w.start;
  if (n < 5) return null;
  const t0 = timeAt(w, w.start);
  const tn = timeAt(w, w.end - 1);
  if (tn - t0 < 5000) return null;
  let st = 0;
  let sc = 0;
  for (let i = w.start; i < w.end; i++) {
    st += (timeAt(w, i) - t0) / 1000;
    sc += valueAt(w, i);
  }
  const mt = st / n;
  const mc = sc / n;
  let num = 0;
  let den = 0;
  for (let i = w.start; i < w.end; i++) {
    const dt = (timeAt(w, i) - t0) / 1000 - mt;
    num += dt * (valueAt(w, i) - mc);
    den += dt * dt;
  }
  const slope = den > 0 ? num / den : 0;
  return { slope, level: mc + slope * ((tn - t0) / 1000 - mt), spanS: (tn - t0) / 1000 };
}

/**
 * The line through the readings taken at or after `fromMs` only: what a press is judged on, so
 * that a slope from before the press (or before its effect could show) never decides it.
 */
export function fitSince(w: Window, fromMs: number): Fit | null {
  return fitLine(since(w, fromMs));
}
