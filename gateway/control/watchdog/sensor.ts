import { BATH_MAX_COOL_C_PER_S as MAX_COOL_C_PER_S, type WatchdogConfig } from '../config.js';
import type { Reading } from '../types.js';
import { type WatchdogState, waterTestRunning } from './state.js';

export type SensorVerdict = { ok: true } | { ok: false; kind: string };

const OK: SensorVerdict = Object.freeze({ ok: true });
const STUCK: SensorVerdict = Object.freeze({ ok: false, kind: 'stuck' });
const JUMP: SensorVerdict = Object.freeze({ ok: false, kind: 'jump' });
const FALL: SensorVerdict = Object.freeze({ ok: false, kind: 'fall' });

/**
 * Classify one reading for the sensor-fault rule, and note it in `d` (the watchdog's working
 * copy of its state: the last value, how long it has not changed, the last good one). Bad:
 * `sensor` ≠ ok or a null value; a value frozen for stuckMs during a cook (or for
 * stuckHeaterOnMs while the heater is on, when the bath must move); a jump faster than a heater
 * can move a water bath (judged against the last good reading); a fall below the recent high
 * faster than a bath can cool.
 *
 * The fall is a probe that slipped out of the water: in the air it falls 10–40 °C a minute, while
 * a bath with the heater off cools at most MAX_COOL_C_PER_S. Left alone, the engine would read a
 * cold bath and heat it unseen, to boiling (ADR 051). Each reading's step is small, so the fall is
 * judged against the highest reading of the last `fallWindowMs`, not the previous one.
 * `heatCPerS`: the bath's learned heating rate (net), which a slow rise must reach to count as
 * water.
 */
export function classifyReading(
  cfg: WatchdogConfig,
  d: WatchdogState,
  r: Reading,
  nowMs: number,
  heaterOnSinceMs: number | null,
  cookActive: boolean,
  heatCPerS: number | null = null,
  targetC: number | null = null,
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
  if (d.sensorFault === 'fall') {
    // Out of the water, the probe reads the air and, given long enough, any value "a cooling bath
    // could have reached"; the last good readings followed the probe down. Only the water is
    // evidence: a rise of `maxFallC` from the lowest reading of the fault (the probe back in a
    // bath warmer than the air), or half that to a reading back near the recent high, and only a
    // rise that water makes. The probe put back moves within seconds; water its heater still heats
    // (a `safe` that missed) rises at about the bath's heating rate. Air that such a bath warms
    // rises slower, by its share of the water's rise and a minute late: taken for water, it let
    // the engine heat on a probe in the air until the bath boiled, and cleared the alarm that said
    // the heater may be on.
    const low = Math.min(d.fallLowC ?? c, c);
    d.fallLowC = low;
    if (c - low <= cfg.fallRiseSlackC || d.fallLowMs === null) d.fallLowMs = nowMs;
    // The rise's mean rate since the last reading at the bottom (a gap in the readings spreads
    // it over the gap: a probe back in the water still rose faster than air can).
    const rateCPerS = (c - low - cfg.fallRiseSlackC) / Math.max(1, (nowMs - d.fallLowMs) / 1000);
    const fastCPerS = cfg.maxFallC / (cfg.fallRiseWithinMs / 1000);
    const water = rateCPerS >= fastCPerS || (heatCPerS !== null && heatCPerS > 0 && rateCPerS >= cfg.fallRiseWaterShare * heatCPerS);
    const rose = water && c - low >= cfg.maxFallC;
    const nearHigh = water && c - low >= cfg.maxFallC / 2 && d.fallRefC !== null && Math.abs(c - d.fallRefC) <= cfg.maxFallC;
    // Warmer than the water was before the fall, and over the target: air over the bath is cooler
    // than the water that warms it, so that is hot water (a heater left on, a `safe` or a press
    // that inverted its state, the probe in the water all along), or a probe something else
    // heats. Either way the bath goes back to the rules that only switch a heater off (the
    // engine over its target, the over-temperature latch and its correction press). Held, such
    // a bath boiled with the probe in it: a cold load into a 3 L pot at 80 °C, a press judged
    // missed (ADR 061).
    const hot = d.fallRefC !== null && c >= Math.max(d.fallRefC, targetC ?? Number.NEGATIVE_INFINITY) + cfg.fallHotOverC;
    // During the water test its own verdict decides (water-test.ts): the burst's rise is its
    // evidence, and the engine must not take over a bath still warming from it.
    if ((!rose && !nearHigh && !hot) || (waterTestRunning(d) && !hot)) return FALL;
  } else if (d.lastGoodC !== null && d.lastGoodMs !== null) {
    const dtS = Math.max(1, (nowMs - d.lastGoodMs) / 1000);
    // Latched: only a value a cooling bath could have reached counts as recovered, so a probe
    // pulled out of the bath does not become the new truth.
    const tolC = d.sensorFault !== null ? 0.5 + MAX_COOL_C_PER_S * dtS : cfg.maxJumpCPerS * dtS + 0.5;
    if (Math.abs(c - d.lastGoodC) > tolC) return JUMP;
  }
  // After a gap in the readings (a kit offline for a while) nothing is known of what the bath
  // did: the first reading starts a new window instead of being judged against the old high.
  const gapped = d.lastRxMs === null || nowMs - d.lastRxMs > cfg.fallWindowMs;
  if (d.sensorFault === null && d.fallRefC !== null && d.fallRefMs !== null && !gapped) {
    // Vouched for by an operator (a cook changed to let a fall go): the water may go on falling
    // as cold food pulls it, for a while.
    const vouched = d.vouchedUntilMs !== null && nowMs < d.vouchedUntilMs;
    const coolC = ((vouched ? cfg.vouchedFallCPerS : MAX_COOL_C_PER_S) * (nowMs - d.fallRefMs)) / 1000;
    if (d.fallRefC - c > cfg.maxFallC + coolC) return FALL;
  }
  // While a fall holds, the high before it stays: the releases above are judged against it (it
  // starts again when the fault clears, endFallWatch).
  const holding = d.sensorFault === 'fall';
  if (!holding && (d.fallRefC === null || d.fallRefMs === null || c >= d.fallRefC || gapped || nowMs - d.fallRefMs >= cfg.fallWindowMs)) {
    d.fallRefC = c;
    d.fallRefMs = nowMs;
  }
  d.lastGoodC = c;
  d.lastGoodMs = nowMs;
  return OK;
}
