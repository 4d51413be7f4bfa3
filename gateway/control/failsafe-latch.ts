import type { EngineConfig } from './config.js';
import type { EngineState } from './engine/index.js';
import { fitLine, fitSince } from './slope.js';
import { type AuditIntent, type ControlEvent, type Decision, event, NO_DECISION } from './types.js';

/**
 * The fail-safe latch (docs/control.md, "The fail-safe latch"). From the watchdog's decision
 * "the heater must be off" until its cause clears, the gateway sends the kit `safe`: a `press` is
 * a toggle, and pressing on an inference that may be wrong can turn a heater that is off back on.
 * While the bath keeps rising, `safe` is repeated with a growing interval; if it still rises once
 * a `safe` was acknowledged and the bath had time to answer, the actuator does not obey: a
 * critical alarm asks a person to switch the cooker off.
 *
 * One press is allowed, on evidence rather than inference (ADR 052): when the bath itself keeps
 * rising over the limit after the kit's answer window while the kit believes its heater off, a
 * missed press left the kit's belief wrong, and `safe` (which presses only when the kit believes
 * on) cannot help. The latch then sends the correction press (`press` expect off, which such a kit
 * still presses once), and again only if the next window shows the bath still rising, not
 * fading. A correction that turned a heater on would show as a steeper rise and be pressed back.
 * Pure: the caller passes the clock.
 */
export interface FailSafeLatch {
  reason: string;
  sinceMs: number;
  lastSafeMs: number;
  /** Wait before the next repeat (doubles each time, up to MAX_BACKOFF_MS). */
  backoffMs: number;
  safes: number;
  /** The first `safe` the kit acknowledged with heater off. */
  ackedMs: number | null;
  /** The kit answered the last `safe` sent (with heater off or on): it reached the kit and was acted on. */
  answered: boolean;
  disobeyAlarmed: boolean;
  /** The steepest rise seen while latched: a heater that went off shows as a fading rise. */
  peakSlope: number;
  /** The last correction press (the kit believed off while the bath kept rising), and how many in a row had no effect. */
  correctedMs: number | null;
  corrections: number;
  /** The bath's fitted level at the start of the current answer window (a correction needs a rise from it). */
  riseFrom: { atMs: number; c: number } | null;
}

export const FIRST_REPEAT_MS = 10_000;
export const MAX_BACKOFF_MS = 120_000;
/** Slower than this (°C/s, 0.18 °C/min) is not "rising": quantisation and noise stay under it. */
export const RISING_C_PER_S = 0.003;
/** A slope over less than this (s) says little on a 0.0625 °C probe. */
const MIN_SPAN_S = 15;

export interface LatchStep {
  latch: FailSafeLatch;
  decision: Decision;
  events: ControlEvent[];
  audit: AuditIntent[];
}

export function openLatch(prev: FailSafeLatch | null, reason: string, nowMs: number): FailSafeLatch {
  return {
    reason,
    sinceMs: prev?.sinceMs ?? nowMs,
    lastSafeMs: nowMs,
    backoffMs: FIRST_REPEAT_MS,
    safes: (prev?.safes ?? 0) + 1,
    ackedMs: prev?.ackedMs ?? null,
    answered: false,
    disobeyAlarmed: prev?.disobeyAlarmed ?? false,
    peakSlope: prev?.peakSlope ?? 0,
    correctedMs: prev?.correctedMs ?? null,
    corrections: prev?.corrections ?? 0,
    riseFrom: prev?.riseFrom ?? null,
  };
}

/** The kit acknowledged a `safe`: `heaterOn`, what it believes now. */
export function latchAnswered(latch: FailSafeLatch, nowMs: number, heaterOn: boolean): FailSafeLatch {
  if (heaterOn) return latch.answered ? latch : { ...latch, answered: true };
  return latch.ackedMs === null || !latch.answered ? { ...latch, ackedMs: latch.ackedMs ?? nowMs, answered: true } : latch;
}

/**
 * Correction presses in a row that the bath did not answer before the latch slows down to one
 * every SLOW_CORRECTION_MS: a cooker whose relay stuck on ignores its button, and pressing every
 * minute then only wears the servo while `actuator_disobeys` (critical, repeated) asks a person.
 * It does not stop: a servo that misses half its presses misses ten in a row one time in a
 * thousand, and the bath must not boil for that.
 */
export const MAX_CORRECTIONS = 10;
export const SLOW_CORRECTION_MS = 5 * 60_000;

/** A rise smaller than this (°C) is within the probe's quantisation and noise. */
const REAL_RISE_C = 0.25;

/**
 * One good reading while latched (the engine's window already holds it). `overLimit`: the
 * watchdog holds the bath over its temperature limit on a probe it trusts (no sensor fault, no
 * held-off heater): the only state in which the latch may press (the correction press).
 */
export function latchReading(latch: FailSafeLatch, eng: EngineState, nowMs: number, cfg: EngineConfig, overLimit = false): LatchStep {
  const events: ControlEvent[] = [];
  const audit: AuditIntent[] = [];
  const whole = fitLine(eng.win);
  let next = whole !== null && whole.spanS >= MIN_SPAN_S && whole.slope > latch.peakSlope ? { ...latch, peakSlope: whole.slope } : latch;
  // Judged only on readings taken after the last `safe` could show.
  const since = fitSince(eng.win, latch.lastSafeMs + cfg.effectDelayMs);
  const rising = since !== null && since.spanS >= MIN_SPAN_S && since.slope > RISING_C_PER_S;
  // The actuator is judged once the first acknowledged `safe` had the bath's lag to show. A
  // heater that went off leaves a rise that fades (the element's stored heat, for minutes on a
  // slow cooker); one that did not keeps rising near the steepest rate seen.
  /** How far the bath rose above its fitted level at the end of the answer window (`riseFrom`). */
  const risenSince = (answerMs: number, level: number): number => {
    if (next.riseFrom === null || next.riseFrom.atMs !== answerMs) next = { ...next, riseFrom: { atMs: answerMs, c: level } };
    return level - (next.riseFrom as { c: number }).c;
  };
  if (latch.ackedMs !== null && !latch.disobeyAlarmed) {
    const answerMs = latch.ackedMs + Math.max(eng.learn.lagS, 30) * 1000 + cfg.effectDelayMs;
    const after = nowMs >= answerMs ? fitSince(eng.win, answerMs) : null;
    // Not fading, and a real rise (a quarter of a degree), not one step of a flat probe.
    const notFading =
      after !== null &&
      after.spanS >= MIN_SPAN_S &&
      after.slope > RISING_C_PER_S &&
      after.slope >= 0.7 * next.peakSlope &&
      risenSince(answerMs, after.level) >= REAL_RISE_C;
    if (after !== null && notFading) {
      const data = {
        slopeCPerMin: Math.round(after.slope * 60 * 1000) / 1000,
        tempC: eng.lastC,
        ackedMs: latch.ackedMs,
        safes: latch.safes,
      };
      events.push(event('actuator_disobeys', 'critical', true, data));
      audit.push({
        actor: 'watchdog',
        action: 'alarm',
        reason: `${latch.reason}; the bath still rises after the kit acknowledged safe: switch the cooker off by hand`,
        data,
      });
      next = { ...next, disobeyAlarmed: true };
    }
  }
  // The correction press: over the limit on a trusted probe, the kit believes off, so `safe`
  // presses nothing, yet the bath keeps rising, not fading, after the answer window of the last
  // acknowledged `safe` or correction.
  if (overLimit && next.disobeyAlarmed && eng.lastBelief === false && next.ackedMs !== null) {
    const fromMs = Math.max(next.correctedMs ?? 0, next.ackedMs);
    const slowMs = next.corrections >= MAX_CORRECTIONS ? SLOW_CORRECTION_MS : 0;
    const answerMs = fromMs + Math.max(eng.learn.lagS, 30) * 1000 + cfg.effectDelayMs + slowMs;
    const after = nowMs >= answerMs ? fitSince(eng.win, answerMs) : null;
    // The last correction worked (the bath no longer rises): the count of those in a row starts again.
    if (after !== null && after.spanS >= MIN_SPAN_S && after.slope <= RISING_C_PER_S && next.corrections > 0)
      next = { ...next, corrections: 0 };
    if (after !== null && after.spanS >= MIN_SPAN_S) {
      // The level when the window had answered; a real rise (not a probe step) climbs a quarter of
      // a degree above it, still at 0.7 × the steepest rise seen or more (not fading).
      const stillRising = risenSince(answerMs, after.level) >= REAL_RISE_C && after.slope >= 0.7 * Math.max(next.peakSlope, RISING_C_PER_S);
      if (stillRising) {
        const n = next.corrections + 1;
        const reason = `${latch.reason}; the bath still rises while the kit believes its heater off: correction press #${n}`;
        const data = { tempC: eng.lastC, slopeCPerMin: Math.round(after.slope * 60 * 1000) / 1000, corrections: n };
        events.push(event('correction_press', 'warning', true, data));
        audit.push({ actor: 'watchdog', action: 'press_off', reason, data });
        next = { ...next, correctedMs: nowMs, corrections: n, riseFrom: null };
        return { latch: next, decision: { kind: 'press', expect: 'off', reason }, events, audit };
      }
    }
  }
  if (rising && nowMs - latch.lastSafeMs >= latch.backoffMs) {
    const reason = `${latch.reason}; fail-safe latched and the bath still rises (safe #${latch.safes + 1})`;
    audit.push({ actor: 'watchdog', action: 'safe', reason, data: { tempC: eng.lastC } });
    next = {
      ...next,
      lastSafeMs: nowMs,
      answered: false,
      safes: latch.safes + 1,
      backoffMs: Math.min(latch.backoffMs * 2, MAX_BACKOFF_MS),
    };
    return { latch: next, decision: { kind: 'safe', reason }, events, audit };
  }
  return { latch: next, decision: NO_DECISION, events, audit };
}

/**
 * While the bath cannot answer (the watchdog holds a sensor fault, so no reading is trusted), the
 * latch cannot see a rise and `latchReading` never repeats. It then repeats a `safe` the kit never
 * answered (the command path gave up, or the kit refused it) while the kit believes its heater on,
 * at the same growing interval. One the kit answered is not repeated, even "still on": the kit
 * pressed or decided not to, and with a toggle a second press on a belief that may be wrong can
 * switch a heater that went off back on (ADR 056); `ack_contradicts` asks a person instead.
 */
export function latchBlind(latch: FailSafeLatch, kitBelievesOn: boolean, nowMs: number): LatchStep {
  if (!kitBelievesOn || latch.answered || nowMs - latch.lastSafeMs < latch.backoffMs)
    return { latch, decision: NO_DECISION, events: [], audit: [] };
  const reason = `${latch.reason}; the bath cannot be read and the kit did not answer its safe (safe #${latch.safes + 1})`;
  const next = {
    ...latch,
    lastSafeMs: nowMs,
    answered: false,
    safes: latch.safes + 1,
    backoffMs: Math.min(latch.backoffMs * 2, MAX_BACKOFF_MS),
  };
  return {
    latch: next,
    decision: { kind: 'safe', reason },
    events: [],
    audit: [{ actor: 'watchdog', action: 'safe', reason, data: { safes: next.safes } }],
  };
}
