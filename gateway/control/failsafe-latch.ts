import type { EngineConfig } from './config.js';
import type { EngineState } from './engine/index.js';
import { fitLine, fitSince } from './slope.js';
import { type AuditIntent, type ControlEvent, type Decision, event, NO_DECISION } from './types.js';

/**
 * The fail-safe latch (docs/control.md, "The fail-safe latch"). From the watchdog's decision
 * "the heater must be off" until its cause clears, the gateway sends the kit nothing but `safe`:
 * a `press` is a toggle, and pressing on an inference that may be wrong can turn a heater that is
 * off back on. While the bath keeps rising, `safe` is repeated with a growing interval; if it still
 * rises once a `safe` was acknowledged and the bath had time to answer, the actuator does not obey
 * and only a person can help: a critical alarm. Pure: the caller passes the clock.
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
  disobeyAlarmed: boolean;
  /** The steepest rise seen while latched: a heater that went off shows as a fading rise. */
  peakSlope: number;
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
    disobeyAlarmed: prev?.disobeyAlarmed ?? false,
    peakSlope: prev?.peakSlope ?? 0,
  };
}

/** The kit acknowledged a `safe` with heater off. */
export function latchAcked(latch: FailSafeLatch, nowMs: number): FailSafeLatch {
  return latch.ackedMs === null ? { ...latch, ackedMs: nowMs } : latch;
}

/** One good reading while latched (the engine's window already holds it). */
export function latchReading(latch: FailSafeLatch, eng: EngineState, nowMs: number, cfg: EngineConfig): LatchStep {
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
  if (latch.ackedMs !== null && !latch.disobeyAlarmed) {
    const answerMs = latch.ackedMs + Math.max(eng.learn.lagS, 30) * 1000 + cfg.effectDelayMs;
    const after = fitSince(eng.win, answerMs);
    const notFading = after !== null && after.spanS >= MIN_SPAN_S && after.slope > RISING_C_PER_S && after.slope >= 0.7 * next.peakSlope;
    if (nowMs >= answerMs && notFading) {
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
  if (rising && nowMs - latch.lastSafeMs >= latch.backoffMs) {
    const reason = `${latch.reason}; fail-safe latched and the bath still rises (safe #${latch.safes + 1})`;
    audit.push({ actor: 'watchdog', action: 'safe', reason, data: { tempC: eng.lastC } });
    next = {
      ...next,
      lastSafeMs: nowMs,
      safes: latch.safes + 1,
      backoffMs: Math.min(latch.backoffMs * 2, MAX_BACKOFF_MS),
    };
    return { latch: next, decision: { kind: 'safe', reason }, events, audit };
  }
  return { latch: next, decision: NO_DECISION, events, audit };
}
