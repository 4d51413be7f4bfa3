import type { WatchdogConfig } from '../config.js';
import type { Reading } from '../types.js';
import type { WatchdogState } from './state.js';

/** A bath with the heater off cools slower than this (5 L open pot at 90 °C: ~0.017 °C/s). */
const MAX_COOL_C_PER_S = 0.02;

export type SensorVerdict = { ok: true } | { ok: false; kind: string };

const OK: SensorVerdict = Object.freeze({ ok: true });
const STUCK: SensorVerdict = Object.freeze({ ok: false, kind: 'stuck' });
const JUMP: SensorVerdict = Object.freeze({ ok: false, kind: 'jump' });

/**
 * Classify one reading for the sensor-fault rule, and note it in `d` (the watchdog's working
 * copy of its state: the last value, how long it has not changed, the last good one). Bad:
 * `sensor` ≠ ok or a null value; a value frozen for stuckMs during a cook (or for
 * stuckHeaterOnMs while the heater is on, when the bath must move); a jump faster than a heater
 * can move a water bath (judged against the last good reading).
 */
export function classifyReading(
  cfg: WatchdogConfig,
  d: WatchdogState,
  r: Reading,
  nowMs: number,
  heaterOnSinceMs: number | null,
  cookActive: boolean,
): SensorVerdict {
  if (r.sensor !== 'ok' || r.tempC === null) return { ok: false, kind: r.sensor === 'ok' ? 'null' : r.sensor };
  const c = r.tempC;
  d.prevC = c;
  if (d.sameC !== c || d.sameSinceMs === null) {
    d.sameC = c;
    d.sameSinceMs = nowMs;
  } else {
    const frozenMs = nowMs - d.sameSinceMs;
    const frozenHeatingMs = heaterOnSinceMs === null ? 0 : nowMs - Math.max(d.sameSinceMs, heaterOnSinceMs);
    // An idle bath at room temperature may read the same value for hours: only during a cook.
    if ((cookActive && frozenMs >= cfg.stuckMs) || frozenHeatingMs >= cfg.stuckHeaterOnMs) return STUCK;
  }
  if (d.lastGoodC !== null && d.lastGoodMs !== null) {
    const dtS = Math.max(1, (nowMs - d.lastGoodMs) / 1000);
    // Latched: only a value a cooling bath could have reached counts as recovered, so a probe
    // pulled out of the bath does not become the new truth.
    const tolC = d.sensorFault !== null ? 0.5 + MAX_COOL_C_PER_S * dtS : cfg.maxJumpCPerS * dtS + 0.5;
    if (Math.abs(c - d.lastGoodC) > tolC) return JUMP;
  }
  d.lastGoodC = c;
  d.lastGoodMs = nowMs;
  return OK;
}
