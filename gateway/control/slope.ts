/**
 * A short window of readings and its least-squares line. The slope (°C/s) is what the engine
 * reads the heater from; the fitted level at `now` is steadier than one 0.0625 °C-quantised
 * reading. Immutable: push returns a new window (a few dozen numbers per device per second).
 */
export interface Window {
  readonly t: readonly number[];
  readonly c: readonly number[];
}

export const EMPTY_WINDOW: Window = Object.freeze({ t: [], c: [] });

export function pushSample(w: Window, tMs: number, c: number, spanMs: number): Window {
  let start = 0;
  while (start < w.t.length && w.t[start]! < tMs - spanMs) start++;
  // One copy per array (this runs on every reading of every kit): slice, then append.
  const t = w.t.slice(start);
  const cs = w.c.slice(start);
  t.push(tMs);
  cs.push(c);
  return { t, c: cs };
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
  const n = w.t.length;
  if (n < 5) return null;
  const t0 = w.t[0]!;
  const tn = w.t[n - 1]!;
  if (tn - t0 < 5000) return null;
  let st = 0;
  let sc = 0;
  for (let i = 0; i < n; i++) {
    st += (w.t[i]! - t0) / 1000;
    sc += w.c[i]!;
  }
  const mt = st / n;
  const mc = sc / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    const dt = (w.t[i]! - t0) / 1000 - mt;
    num += dt * (w.c[i]! - mc);
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
  let i = 0;
  while (i < w.t.length && w.t[i]! < fromMs) i++;
  return i === 0 ? fitLine(w) : fitLine({ t: w.t.slice(i), c: w.c.slice(i) });
}
