import { BATH_MAX_COOL_C_PER_S, type EngineConfig } from '../config.js';
import { type Fit, fitSince, type Window } from '../slope.js';
import { type ControlEvent, event } from '../types.js';
import { MISS_EVIDENCE, plantShape, pressEvidence, updatePressTest } from './miss-test.js';
import { clamp, type EngineState, type PendingPress, sinceReachedMs } from './state.js';

/**
 * State-drift detection. A servo press can miss and the kit's `heater` flag is only its belief,
 * so every press is checked against the bath: after an on-press the probe must rise above the
 * trend it had when the press was sent; after an off-press the rise must fade. A press that does
 * not show by its deadline is a miss: `actual` flips back and the planner presses again (within
 * the budget). Outside any press, a slope that contradicts `actual` for 30 s is drift as well.
 * The draft is the step's private copy of the state.
 */
const DRIFT_HOLD_MS = 30_000;
/** An on-press whose rise has begun is judged by this age at the latest. */
const HARD_LIMIT_MS = 90_000;
/** Lag assumed for deadlines until the first measurement (slow legacy cookers). */
const UNLEARNED_LAG_S = 60;

/** When an on-press must have shown in the probe: lag plus the time to rise by verifyC. */
export function onDeadlineMs(cfg: EngineConfig, s: EngineState, atMs: number): number {
  const riseS = (2 * cfg.verifyC) / Math.max(s.learn.heatCPerS, 0.005);
  // Before the bath taught its lag, the prior may be short: a false "missed" would toggle the
  // heater off again, so the first presses get the slow-cooker allowance.
  const lagS = s.learn.lagSamples === 0 ? Math.max(s.learn.lagS, UNLEARNED_LAG_S) : s.learn.lagS;
  const ms = (lagS + riseS) * 1000 + 8000;
  // Within verifyMaxMs when the bath allows; a bath slower than that gets the time it needs.
  return atMs + clamp(ms, 20_000, ms > cfg.verifyMaxMs ? HARD_LIMIT_MS : cfg.verifyMaxMs);
}

/** A fall this much faster than the bath's own cooling (°C/s) is a pull: something cold went in. */
const PULL_MARGIN_C_PER_S = 0.005;

/**
 * After a pull, the food keeps taking heat for a while and a working heater may only hold the
 * bath level: a deferred on-press is confirmed by the water warming from the bottom of the dip,
 * and judged missed only if it has not within this long of the pull's end.
 */
const PULLED_WAIT_MS = 5 * 60_000;

/** The fastest the bath cools by itself: what it taught, or the fastest of any bath until it has. */
function coolBoundCPerS(d: EngineState): number {
  return d.learn.coolSamples > 0 ? 1.5 * d.learn.coolCPerS : BATH_MAX_COOL_C_PER_S;
}

/** The bath falls faster than it cools by itself: something cold is pulling it down. */
export function pulledDown(d: EngineState, slope: number): boolean {
  return slope < -(coolBoundCPerS(d) + PULL_MARGIN_C_PER_S);
}

/**
 * A bath pulled down faster than it cools with the heater off: cold food or water just went in.
 * Under a pull no rule can tell a working heater from a missed press (the food may take more heat
 * than the element gives), and a false "missed" presses a working heater off, which then left a
 * bath with 3 kg of cold food held off at 37 °C (ADR 055). So an on-press waiting for its answer
 * is judged from where the pull ends: its reference (level, trend, deadline) moves with the bath
 * while the pull lasts, and the fast test, whose straight baseline cannot describe a pull, stays
 * out of it. A missed press then shows after the pull, as the bath cooling at its own rate.
 * Returns whether the press was deferred.
 */
export function deferUnderPull(d: EngineState, fit: Fit, nowMs: number): boolean {
  const p = d.pending;
  if (p === null || !p.expect || !pulledDown(d, fit.slope)) return false;
  const coolBound = coolBoundCPerS(d);
  d.pending = {
    ...p,
    fromC: fit.level,
    fromSlope: -Math.max(coolBound, 0.001),
    peakSlope: fit.slope,
    deadlineMs: Math.max(p.deadlineMs, nowMs + PULLED_WAIT_MS),
    pulled: true,
  };
  d.pressTest = null;
  return true;
}

/**
 * At `reached` the cook is told the food can go in, and cold food takes heat the learned model
 * does not know of: a working on-press then shows less rise than the fast test expects, and a
 * false "missed" presses the working heater off again. So for `loadWindowMs` after `reached`, an
 * on-press is judged by the slower rules, which give a load its time (ADR 062). A missed on-press
 * leaves the heater off: the bath cools, it does not overheat, so waiting costs no safety.
 */
function loadExpected(cfg: EngineConfig, d: EngineState, p: PendingPress): boolean {
  const ms = sinceReachedMs(d, p.atMs);
  return ms !== null && ms < cfg.loadWindowMs;
}

export function verifyPending(cfg: EngineConfig, d: EngineState, fit: Fit, nowMs: number, out: ControlEvent[]): void {
  if (deferUnderPull(d, fit, nowMs)) return;
  let p = d.pending;
  if (p === null) return;
  if (fit.slope > p.peakSlope) {
    p = { ...p, peakSlope: fit.slope };
    d.pending = p;
  }
  const ageS = (nowMs - p.atMs) / 1000;
  const trend = p.fromC + p.fromSlope * ageS;
  const heatRef = Math.max(d.learn.heatCPerS, p.fromSlope, 0.005);
  // A miss is inferred only from readings taken after the press could show in the probe: a
  // slope from before the command (a bath still coasting up) must never decide it, since a
  // false "missed" presses again, and with a toggle that turns a working heater back on.
  const after = postEffectFit(cfg, d.win, p.atMs);
  let confirmed = false;
  let missed = false;
  // The fast test against the learned model (miss-test.ts); the rules below stay as the fallback.
  const shape = plantShape(d.learn);
  if (shape !== null) d.pressTest = updatePressTest(d.pressTest, cfg, d.hist, p, d.switches, shape);
  const test = shape === null || d.pressTest === null ? null : pressEvidence(d.pressTest);
  const fastMiss = test !== null && test.evidence >= MISS_EVIDENCE && !p.pulled;
  if (p.expect && p.pulled) {
    // Deferred under a pull: `fromC` follows the bottom of the dip (deferUnderPull, then here).
    if (fit.level < p.fromC) {
      p = { ...p, fromC: fit.level };
      d.pending = p;
    }
    confirmed = fit.level - p.fromC >= 2 * cfg.verifyC && fit.slope > 0;
    missed = !confirmed && nowMs >= p.deadlineMs;
  } else if (p.expect) {
    confirmed = ageS >= 3 && fit.level - trend >= cfg.verifyC && fit.slope >= 0.2 * heatRef;
    if (after !== null) {
      // A rise that has begun but not yet reached verifyC gets until the hard limit.
      const rising = after.slope - p.fromSlope >= 0.3 * heatRef;
      missed = !confirmed && nowMs >= p.deadlineMs && (!rising || nowMs >= Math.max(p.deadlineMs, p.atMs + HARD_LIMIT_MS));
    }
    missed ||= !confirmed && fastMiss && !loadExpected(cfg, d, p);
  } else {
    // Off: the rise must fade. A miss shows as a slope still near the full heating rate and not
    // falling from its peak; a false miss would press the heater back on, so both must hold.
    confirmed = ageS >= 8 && (fit.slope <= 0.3 * heatRef || trend - fit.level >= 2 * cfg.verifyC);
    const late = nowMs >= p.deadlineMs;
    if (after !== null) {
      // 0.7, not closer to 1: the peak of a noisy 20 s slope overstates the true peak.
      const fading = after.slope < 0.7 * p.peakSlope;
      // "Still heating" is judged against the full heating rate the ramp showed, when it knows one:
      // the rate learned in short pulses is lower, and a coasting bath can climb at 0.7 × that.
      const fullRef = d.learn.rampHeatSamples > 0 ? Math.max(heatRef, d.learn.rampHeatCPerS) : heatRef;
      const stillHeating = !fading && ageS >= Math.max(d.learn.lagS, 20) + 12 && after.slope >= 0.7 * fullRef;
      // Or the bath already climbed well past the peak an off-press would have given.
      const over = overPeak(d, after, fullRef);
      missed = !confirmed && (stillHeating || over || (late && !fading));
    }
    missed ||= !confirmed && fastMiss;
    // Past the deadline with the rise fading: the press worked, the bath is just slow.
    if (late && !missed) confirmed = true;
  }
  if (confirmed) {
    d.actual = p.expect;
    d.ifAllTook = p.expect;
    d.pending = null;
    d.switches = [...d.switches.slice(-3), { atMs: p.atMs, on: p.expect }];
    d.driftSinceMs = null;
    d.health = { ...d.health, confirmed: d.health.confirmed + 1, consecutiveMisses: 0 };
    // A press judged under a pull is confirmed at the bottom of the dip, minutes on: that is the
    // load's time, not the press's, and as the shortest pulse it swung a held bath ±2 °C (ADR 064).
    const tookS = p.pulled ? Math.min(ageS, cfg.verifyMaxMs / 1000) : ageS;
    if (p.expect && !p.byDevice) d.learn = { ...d.learn, verifyOnS: d.learn.verifyOnS + 0.3 * (tookS - d.learn.verifyOnS) };
    d.flags = { ...d.flags, missAlarmed: false };
    return;
  }
  if (!missed) return;
  d.actual = !p.expect;
  d.pending = null;
  d.driftSinceMs = null;
  if (!p.expect && d.episode !== null) d.episode = { ...d.episode, offMs: null };
  const streak = d.health.consecutiveMisses + 1;
  d.health = { ...d.health, misses: d.health.misses + 1, consecutiveMisses: streak, lastDetectMs: nowMs - p.atMs };
  out.push(
    event('press_missed', 'warning', true, {
      expect: p.expect ? 'on' : 'off',
      detectMs: nowMs - p.atMs,
      slopeCPerMin: round(fit.slope * 60),
      streak,
    }),
  );
  if (streak >= cfg.alarmAfterMisses && !d.flags.missAlarmed) {
    d.flags = { ...d.flags, missAlarmed: true };
    out.push(event('actuator_fault', 'alarm', true, { consecutiveMisses: streak, ...healthData(d) }));
  }
}

/** The fit over the readings taken once a command sent at `atMs` could show; null until enough. */
export function postEffectFit(cfg: EngineConfig, w: Window, atMs: number): Fit | null {
  const f = fitSince(w, atMs + cfg.effectDelayMs);
  return f !== null && f.spanS >= 5 ? f : null;
}

/**
 * The peak the episode should reach if the off-press worked: trough + pulse gain × on-time for a
 * pulse, T_off + rate × lag for a ramp. Climbing past it by a margin, still at half the heating
 * rate or more, means the heater is still on.
 */
function overPeak(d: EngineState, fit: Fit, heatRef: number): boolean {
  const e = d.episode;
  if (e === null || e.offMs === null || fit.slope < 0.5 * heatRef) return false;
  // Before the bath taught a pulse's gain, the prior (an 8 L bath's) must not decide a miss: in a
  // 1.5 L pot it is a fifth of the truth, every off-press "missed", and the press that followed
  // switched a heater that was off back on. All of a pulse's heat reaches the water sooner or
  // later, so the full heating rate times the on-time bounds its rise.
  // Either way, the bath coasts on from where it was at the off-press for about a lag at the slope
  // it had (a long pulse is a ramp: a gain learned on short ones undershoots it).
  const gain = d.learn.pulseSamples > 0 ? d.learn.pulseGainCPerS : heatRef;
  const coastPeak = e.offC + Math.max(e.offSlope, 0) * d.learn.lagS * 1.3;
  const pulsePeak = e.mode === 'pulse' ? e.troughC + gain * ((e.offMs - e.onMs) / 1000) * 1.3 : coastPeak;
  return fit.level > Math.max(coastPeak, pulsePeak) + 0.25;
}

/** Outside any press: a bath falling while believed heated (or climbing while believed off). */
export function detectDrift(d: EngineState, fit: Fit, nowMs: number, out: ControlEvent[]): void {
  if (d.pending !== null) return;
  const sincePress = d.lastPressMs === null ? Number.POSITIVE_INFINITY : nowMs - d.lastPressMs;
  if (sincePress < (d.learn.lagS + 30) * 1000) {
    d.driftSinceMs = null;
    return;
  }
  const contradicts = d.actual ? fit.slope <= 0 : fit.slope >= Math.max(0.5 * d.learn.heatCPerS, 0.005);
  if (!contradicts) {
    d.driftSinceMs = null;
    return;
  }
  if (d.driftSinceMs === null) {
    d.driftSinceMs = nowMs;
    return;
  }
  if (nowMs - d.driftSinceMs < DRIFT_HOLD_MS) return;
  out.push(
    event('state_drift', 'warning', true, {
      believed: d.actual ? 'on' : 'off',
      inferred: d.actual ? 'off' : 'on',
      slopeCPerMin: round(fit.slope * 60),
    }),
  );
  d.actual = !d.actual;
  d.driftSinceMs = null;
  d.health = { ...d.health, drifts: d.health.drifts + 1 };
  if (!d.actual) d.episode = null;
}

export function healthData(s: EngineState): Record<string, unknown> {
  const h = s.health;
  const judged = h.confirmed + h.misses;
  return {
    presses: h.presses,
    confirmed: h.confirmed,
    misses: h.misses,
    drifts: h.drifts,
    successRate: judged === 0 ? null : round(h.confirmed / judged),
  };
}

export function round(v: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
