import type { EngineConfig } from '../config.js';
import { timeAt, valueAt, type Window } from '../slope.js';
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
 * The running sums of one press's test: the readings are taken in once each, as they arrive, so a
 * step costs a few exponentials whatever the history holds. Both hypotheses share x (s since the
 * press); y is the reading minus the confirmed switches (and minus the pending one for "hit"),
 * relative to the level when the press was sent. Immutable (a step returns a new one): 13 numbers.
 */
export interface PressTest {
  readonly atMs: number;
  readonly shape: PlantShape;
  /** Absolute index (in the history ring) of the next reading to take in. */
  readonly next: number;
  readonly n: number;
  readonly sx: number;
  readonly sxx: number;
  /** Σy, Σxy, Σy² with y the residual if the press did nothing. */
  readonly miss: Sums;
  /** The same if it worked. */
  readonly hit: Sums;
  readonly pre: number;
  readonly post: number;
  readonly lo: number;
  readonly hi: number;
}

interface Sums {
  readonly sy: number;
  readonly sxy: number;
  readonly syy: number;
}

function sameShape(a: PlantShape, b: PlantShape): boolean {
  return a.deadS === b.deadS && a.tauHeaterS === b.tauHeaterS && a.tauProbeS === b.tauProbeS && a.rateCPerS === b.rateCPerS;
}

/**
 * The test of the pending press `p`, brought up to date with the readings of `w` it has not seen
 * yet. `prev` is the test as the last step left it: carried on while it is the same press judged
 * with the same plant; otherwise a new one takes in the readings from 40 s before the press (once
 * per press, or when the bath taught a new lag or rate).
 */
export function updatePressTest(
  prev: PressTest | null,
  cfg: EngineConfig,
  w: Window,
  p: PendingPress,
  switches: readonly Switch[],
  shape: PlantShape,
): PressTest {
  const fresh = prev === null || prev.atMs !== p.atMs || !sameShape(prev.shape, shape) || prev.next < w.start;
  const from = p.atMs - PRE_S * 1000;
  const judgeFrom = p.atMs + cfg.effectDelayMs;
  const sign = p.expect ? 1 : -1;
  const r = shape.rateCPerS;
  let { n, sx, sxx, pre, post, lo, hi } = fresh ? EMPTY_TEST : prev;
  let { sy: my, sxy: mxy, syy: myy } = fresh ? EMPTY_TEST.miss : prev.miss;
  let { sy: hy, sxy: hxy, syy: hyy } = fresh ? EMPTY_TEST.hit : prev.hit;
  for (let i = fresh ? w.start : prev.next; i < w.end; i++) {
    const t = timeAt(w, i);
    if (t < from || (t > p.atMs && t < judgeFrom)) continue;
    const c = valueAt(w, i);
    if (t <= p.atMs) pre++;
    else post++;
    if (c < lo) lo = c;
    if (c > hi) hi = c;
    let known = 0;
    for (const sw of switches) {
      if (sw.atMs >= p.atMs) continue;
      known += (sw.on ? 1 : -1) * switchRise((t - sw.atMs) / 1000 - shape.deadS, shape);
    }
    const x = (t - p.atMs) / 1000;
    const miss = c - p.fromC - r * known;
    const hit = miss - sign * r * switchRise(x - shape.deadS, shape);
    n++;
    sx += x;
    sxx += x * x;
    my += miss;
    mxy += x * miss;
    myy += miss * miss;
    hy += hit;
    hxy += x * hit;
    hyy += hit * hit;
  }
  return {
    atMs: p.atMs,
    shape,
    next: w.end,
    n,
    sx,
    sxx,
    miss: { sy: my, sxy: mxy, syy: myy },
    hit: { sy: hy, sxy: hxy, syy: hyy },
    pre,
    post,
    lo,
    hi,
  };
}

const NO_SUMS: Sums = Object.freeze({ sy: 0, sxy: 0, syy: 0 });
const EMPTY_TEST: PressTest = Object.freeze({
  atMs: 0,
  shape: Object.freeze({ deadS: 0, tauHeaterS: 0, tauProbeS: 0, rateCPerS: 0 }),
  next: 0,
  n: 0,
  sx: 0,
  sxx: 0,
  miss: NO_SUMS,
  hit: NO_SUMS,
  pre: 0,
  post: 0,
  lo: Number.POSITIVE_INFINITY,
  hi: Number.NEGATIVE_INFINITY,
});

/** The evidence the test holds so far; null until enough readings. */
export function pressEvidence(test: PressTest): MissEvidence | null {
  // One value throughout is a frozen probe (the watchdog's `stuck`) as much as a still bath: no evidence.
  if (test.pre < 10 || test.post < 5 || test.hi - test.lo < LSB_C / 2) return null;
  const rssHit = lineRss(test, test.hit);
  const rssMiss = lineRss(test, test.miss);
  const noise = Math.max(NOISE_VAR, Math.min(rssHit, rssMiss) / Math.max(1, test.n - 2));
  return { evidence: (rssHit - rssMiss) / noise, postSamples: test.post };
}

/**
 * Evidence about the pending press `p` from the readings in `w` (the last minute or so) and the
 * switches confirmed before it, from scratch; null until enough readings.
 */
export function missEvidence(
  cfg: EngineConfig,
  w: Window,
  p: PendingPress,
  switches: readonly Switch[],
  shape: PlantShape,
): MissEvidence | null {
  return pressEvidence(updatePressTest(null, cfg, w, p, switches, shape));
}

/** Residual sum of squares of the least-squares line through (x, y), from the running sums. */
function lineRss(t: PressTest, y: Sums): number {
  const n = t.n;
  const sxx = t.sxx - (t.sx * t.sx) / n;
  const sxy = y.sxy - (t.sx * y.sy) / n;
  const syy = y.syy - (y.sy * y.sy) / n;
  return Math.max(0, sxx > 0 ? syy - (sxy * sxy) / sxx : syy);
}
