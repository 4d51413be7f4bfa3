import type { EngineConfig } from '../config.js';
import type { Window } from '../slope.js';
import type { Learned, PendingPress, Switch } from './state.js';

/**
 * The fast test of a press against the bath's learned model: did the probe follow the switch, or
 * the counterfactual "nothing happened"? A heater switch shows in the probe through the element's
 * lag and the probe's lag in series, so a switch at t₀ adds ±r·G(t − t₀ − dead) to the probe, with
 *   G(s) = s − (τh²(1 − e^(−s/τh)) − τp²(1 − e^(−s/τp))) / (τh − τp)
 * (r: the element's full heating rate). The same signature decides an on-press and an off-press
 * (the plant is linear: a miss differs from a hit by exactly one switch). The test fits the
 * readings of the last minute under both hypotheses, each with its own straight baseline (level
 * and trend, the bath's losses), the switches already confirmed included, and compares the
 * residuals: missed when "nothing happened" explains the readings better by `MISS_EVIDENCE`
 * noise variances. The readings between the press and `effectDelayMs` after it are left out, so
 * a press is judged only on readings taken once it could show.
 *
 * The lags come from the learned total lag: the servo's longest latency as dead time and the
 * element's lag the rest of it allows (lag − τp − the shortest latency). Errors in the learned lag
 * and rate bias the evidence (an open pot teaches a lag a few seconds short), so the threshold
 * sits where no working press reached it over the benchmark matrix (docs/control.md), and a slow
 * element is tested too. Before the bath taught its lag and heating rate the test stays silent.
 */
/** DS18B20 in a steel sheath (the kit's own probe). */
const PROBE_TAU_S = 8;
/** Servo latency bounds (docs/control.md: 0.5–3 s from the command to the press). */
const DEAD_MAX_S = 3;
const DEAD_MIN_S = 0.5;
/** Readings before the press that set the baseline. */
const PRE_S = 40;
const LSB_C = 0.0625;
/** One reading's noise: DS18B20 quantisation (0.0625 °C, uniform) and conversion noise (0.02 °C). */
const NOISE_VAR = LSB_C ** 2 / 12 + 0.02 ** 2;
/** Evidence (residual difference in noise variances) that decides a miss. */
export const MISS_EVIDENCE = 30;

export interface PlantShape {
  deadS: number;
  tauHeaterS: number;
  tauProbeS: number;
  /** Full heating rate of the element, °C/s (heating near target plus the losses it overcomes). */
  rateCPerS: number;
}

/**
 * The plant as the test sees it; null until the bath taught its lag and its full heating rate (a
 * heat-up ramp): a guessed rate could make a working press look like a miss, so until then only
 * the slower rules of verify.ts judge presses.
 */
export function plantShape(L: Learned): PlantShape | null {
  if (L.lagSamples === 0 || L.rampHeatSamples === 0) return null;
  const lagS = L.lagS;
  return {
    deadS: DEAD_MAX_S,
    tauHeaterS: Math.max(2, lagS - PROBE_TAU_S - DEAD_MIN_S),
    tauProbeS: PROBE_TAU_S,
    rateCPerS: Math.max(L.rampHeatCPerS + L.coolCPerS, 1e-4),
  };
}

/** The probe's rise s seconds after a switch took effect, per unit of heating rate (°C per °C/s). */
export function switchRise(s: number, shape: PlantShape): number {
  if (s <= 0) return 0;
  const h = shape.tauHeaterS;
  const p = Math.abs(shape.tauHeaterS - shape.tauProbeS) < 0.5 ? shape.tauProbeS - 0.5 : shape.tauProbeS;
  return s - (h * h * (1 - Math.exp(-s / h)) - p * p * (1 - Math.exp(-s / p))) / (h - p);
}

export interface MissEvidence {
  /** (RSS if the press worked − RSS if it did nothing) / noise variance: > 0 favours a miss. */
  evidence: number;
  /** Readings after the effect delay that the test used. */
  postSamples: number;
}

/**
 * Evidence about the pending press `p` from the readings in `w` (the last minute or so) and the
 * switches confirmed before it; null until enough readings.
 */
export function missEvidence(
  cfg: EngineConfig,
  w: Window,
  p: PendingPress,
  switches: readonly Switch[],
  shape: PlantShape,
): MissEvidence | null {
  const from = p.atMs - PRE_S * 1000;
  const judgeFrom = p.atMs + cfg.effectDelayMs;
  const sign = p.expect ? 1 : -1;
  // Residual targets under both hypotheses: y − known switches (− the pending one, if it worked).
  const xs: number[] = [];
  const hit: number[] = [];
  const miss: number[] = [];
  let pre = 0;
  let post = 0;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < w.t.length; i++) {
    const t = w.t[i]!;
    if (t < from || (t > p.atMs && t < judgeFrom)) continue;
    if (t <= p.atMs) pre++;
    else post++;
    lo = Math.min(lo, w.c[i]!);
    hi = Math.max(hi, w.c[i]!);
    let known = 0;
    for (const s of switches) {
      if (s.atMs >= p.atMs) continue;
      known += (s.on ? 1 : -1) * switchRise((t - s.atMs) / 1000 - shape.deadS, shape);
    }
    const y = w.c[i]! - shape.rateCPerS * known;
    const x = (t - p.atMs) / 1000;
    xs.push(x);
    miss.push(y);
    hit.push(y - sign * shape.rateCPerS * switchRise(x - shape.deadS, shape));
  }
  // One value throughout is a frozen probe (the watchdog's `stuck`) as much as a still bath: no evidence.
  if (pre < 10 || post < 5 || hi - lo < LSB_C / 2) return null;
  const rssHit = lineRss(xs, hit);
  const rssMiss = lineRss(xs, miss);
  const noise = Math.max(NOISE_VAR, Math.min(rssHit, rssMiss) / Math.max(1, xs.length - 2));
  return { evidence: (rssHit - rssMiss) / noise, postSamples: post };
}

/** Residual sum of squares of the least-squares line through (x, y). */
function lineRss(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    sx += x[i]!;
    sy += y[i]!;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  return sxx > 0 ? Math.max(0, syy - (sxy * sxy) / sxx) : syy;
}
