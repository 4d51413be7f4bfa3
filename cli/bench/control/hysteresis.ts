import type { Decision, Reading } from '../../../gateway/control/types.js';
import { NO_DECISION } from '../../../gateway/control/types.js';
import type { CookSpec } from '../../../shared/cook.js';

/**
 * The design's deadband control, kept as the benchmark's baseline: heater on below
 * target − deadband, off above target + deadband, judged on the kit's own `heater` belief,
 * with PROTOCOL's minimum dwell between presses. No anticipation, no learning, no check that a
 * press worked. The design names no width; ±0.5 °C is the usual cooker deadband.
 */
export interface HysteresisState {
  lastPressMs: number | null;
}

export const HYSTERESIS_DEADBAND_C = 0.5;

export function hysteresisStep(
  s: HysteresisState,
  spec: CookSpec | null,
  r: Reading,
  nowMs: number,
  deadbandC = HYSTERESIS_DEADBAND_C,
  minDwellMs = 30_000,
): { state: HysteresisState; decision: Decision } {
  if (spec === null || r.tempC === null) return { state: s, decision: NO_DECISION };
  if (s.lastPressMs !== null && nowMs - s.lastPressMs < minDwellMs) return { state: s, decision: NO_DECISION };
  const wantOn = r.tempC < spec.targetC - deadbandC ? true : r.tempC > spec.targetC + deadbandC ? false : r.heater;
  if (wantOn === r.heater) return { state: s, decision: NO_DECISION };
  return {
    state: { lastPressMs: nowMs },
    decision: { kind: 'press', expect: wantOn ? 'on' : 'off', reason: `deadband ±${deadbandC} °C` },
  };
}
