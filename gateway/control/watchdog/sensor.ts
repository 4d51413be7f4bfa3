import type { WatchdogConfig } from '../config.js';
import type { Reading } from '../types.js';
import type { WatchdogState } from './state.js';

/** A bath with the heater off cools slower than this (5 L open pot at 90 °C: ~0.017 °C/s). */
const MAX_COOL_C_PER_S = 0.02;

export type SensorVerdict = { ok: true } | { ok: false; kind: string };

/**
 * Classify one reading for the sensor-fault rule. Bad: `sensor` ≠ ok or a null value; a value
 * frozen for stuckMs during a cook (or for stuckHeaterOnMs while the heater is on, when the bath
 * must move); a jump faster than a heater can move a water bath (judged against the last good
 * reading).
 */
export function classifyReading(
  cfg: WatchdogConfig,
  s: WatchdogState,
  r: Reading,
  nowMs: number,
  heaterOnSinceMs: number | null,
  cookActive: boolean,
): { verdict: SensorVerdict; next: Partial<WatchdogState> } {
  if (r.sensor !== 'ok' || r.tempC === null) return { verdict: { ok: false, kind: r.sensor === 'ok' ? 'null' : r.sensor }, next: {} };
  const c = r.tempC;
  const next: Partial<WatchdogState> = { prevC: c };
  if (s.sameC !== c || s.sameSinceMs === null) {
    next.sameC = c;
    next.sameSinceMs = nowMs;
  } else {
    const frozenMs = nowMs - s.sameSinceMs;
    const frozenHeatingMs = heaterOnSinceMs === null ? 0 : nowMs - Math.max(s.sameSinceMs, heaterOnSinceMs);
    // An idle bath at room temperature may read the same value for hours: only during a cook.
    if ((cookActive && frozenMs >= cfg.stuckMs) || frozenHeatingMs >= cfg.stuckHeaterOnMs)
      return { verdict: { ok: false, kind: 'stuck' }, next };
  }
  if (s.lastGoodC !== null && s.lastGoodMs !== null) {
    const dtS = Math.max(1, (nowMs - s.lastGoodMs) / 1000);
    // Latched: only a value a cooling bath could have reached counts as recovered, so a probe
    // pulled out of the bath does not become the new truth.
    const tolC = s.sensorFault !== null ? 0.5 + MAX_COOL_C_PER_S * dtS : cfg.maxJumpCPerS * dtS + 0.5;
    if (Math.abs(c - s.lastGoodC) > tolC) return { verdict: { ok: false, kind: 'jump' }, next };
  }
  next.lastGoodC = c;
  next.lastGoodMs = nowMs;
  return { verdict: { ok: true }, next };
}
