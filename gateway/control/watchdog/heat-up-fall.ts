import { BATH_MAX_COOL_PER_S_PER_K, type WatchdogConfig } from '../config.js';
import type { Reading } from '../types.js';
import type { WatchdogState } from './state.js';
import type { WatchdogContext } from './watchdog.js';

/**
 * The heat-up fall (ADR 060). Early in a heat-up the water is a few degrees above the room. A
 * probe that slips out into air the bath warms (the vapour over the water, a lid) then falls a
 * degree or two, far less than the fall rule's 3 °C, and from there rises with the bath by its
 * share of the water's rise. The engine read that dip as a heater that went off, pressed it "on"
 * again (switching it off), and went on heating until the reading in the air reached the target:
 * water at room + (target − room) / k, 92 °C for air with half the bath's excess.
 *
 * Water that its heater heats does not fall. A heater that went off by itself lets it cool, but a
 * bath a few degrees over the room cools slowly: at most BATH_MAX_COOL_PER_S_PER_K per kelvin over
 * the room, 0.12 °C a minute at 5 °C over it. So once the heater has run long enough for its heat
 * to show and the readings rose from their lowest, a fall of more than `heatingFallC` below the
 * recent high, beyond that cooling, is a dip that is not the heated water: the probe left it, or
 * something cold went in.
 *
 * Which of the two, the heater still on tells. The dip is watched for `heatingFallWatchMs` with the
 * engine held (no press: a press is a toggle, and on a probe in the air every one looks missed).
 * Water that a pour or cold food pulled down rises again from the bottom of the dip as heated water
 * does: at `fallRiseWaterShare` of the heating rate the bath had shown, the same test that lets a
 * `fall` go (ADR 059). Then the heat-up carries on. Air rises by its share of the water's rise and
 * a minute late, or not at all; then the dip is a `fall`, with everything that fault does (ADR
 * 051, 057, 059): the heater off, the cook told, released by a rise that water makes or by the
 * operator starting the cook again.
 */

/** The ramp's rate is taken over windows this long (the last two: a minute before a dip). */
const RAMP_WINDOW_MS = 30_000;

/** Notes the heater's commanded state and the readings since it went on (before the reading is judged). */
export function trackRamp(d: WatchdogState, ctx: WatchdogContext, r: Reading, nowMs: number): void {
  if (!ctx.heaterCommandedOn) {
    d.rampSinceMs = null;
    d.rampLowC = null;
    d.rampHighC = null;
    d.rampMarkC = null;
    d.rampMarkMs = null;
    d.rampRate1 = null;
    d.rampRate2 = null;
    return;
  }
  if (r.sensor !== 'ok' || r.tempC === null) return;
  const c = r.tempC;
  if (d.rampSinceMs === null) d.rampSinceMs = nowMs;
  d.rampLowC = Math.min(d.rampLowC ?? c, c);
  d.rampHighC = Math.max(d.rampHighC ?? c, c);
  if (d.rampMarkC === null || d.rampMarkMs === null) {
    d.rampMarkC = c;
    d.rampMarkMs = nowMs;
  } else if (nowMs - d.rampMarkMs >= RAMP_WINDOW_MS) {
    d.rampRate2 = d.rampRate1;
    d.rampRate1 = (c - d.rampMarkC) / ((nowMs - d.rampMarkMs) / 1000);
    d.rampMarkC = c;
    d.rampMarkMs = nowMs;
  }
}

/**
 * The heating rate a dip's rise is judged against: the faster of what the engine learned and the
 * ramp's last two windows. The engine's figure lags a slow element still coming up to power, and
 * against a rate too low, air warming at half the water's rate passed for water.
 */
function rateBeforeDip(d: WatchdogState, learned: number | null): number | null {
  const rates = [learned, d.rampRate1, d.rampRate2].filter((v): v is number => v !== null && v > 0);
  return rates.length === 0 ? null : Math.max(...rates);
}

/**
 * One good reading with no sensor fault standing, before the fall rule sees it: starts a watch on a
 * dip, or judges the one under way. Returns true when the dip is a `fall` (the caller trips it).
 */
export function heatUpDip(cfg: WatchdogConfig, d: WatchdogState, c: number, ctx: WatchdogContext, nowMs: number): boolean {
  if (d.dipSinceMs !== null) return watchDip(cfg, d, c, ctx, nowMs);
  const fromC = heatUpFrom(cfg, d, c, ctx, nowMs);
  if (fromC === null || d.fallRefC === null || d.fallRefMs === null) return false;
  // Vouched for by an operator (a cook started again after a fall): cold food may go on pulling.
  if (d.vouchedUntilMs !== null && nowMs < d.vouchedUntilMs) return false;
  if (d.fallRefC - c <= heatingFallLimitC(cfg, c, fromC, nowMs - d.fallRefMs)) return false;
  const ref = rateBeforeDip(d, ctx.heatCPerS ?? null);
  // No heating rate known to judge a rise by: the dip is a fall now.
  if (ref === null) return true;
  d.dipSinceMs = nowMs;
  d.dipLowC = c;
  d.dipLowMs = nowMs;
  d.dipRefCPerS = ref;
  return false;
}

function watchDip(cfg: WatchdogConfig, d: WatchdogState, c: number, ctx: WatchdogContext, nowMs: number): boolean {
  // The heater switched off (a cook stopped, a `safe`), or no cook: nothing left to watch.
  if (!ctx.heaterCommandedOn || ctx.cook === null) {
    endDip(d);
    return false;
  }
  const low = Math.min(d.dipLowC ?? c, c);
  d.dipLowC = low;
  if (c - low <= cfg.fallRiseSlackC || d.dipLowMs === null) d.dipLowMs = nowMs;
  const rateCPerS = (c - low - cfg.fallRiseSlackC) / Math.max(1, (nowMs - d.dipLowMs) / 1000);
  if (c - low >= 2 * cfg.fallRiseSlackC && rateCPerS >= cfg.fallRiseWaterShare * (d.dipRefCPerS ?? 0)) {
    // Water: it answers the heater. The recent high starts again from here.
    endDip(d);
    d.fallRefC = c;
    d.fallRefMs = nowMs;
    return false;
  }
  if (nowMs - d.dipSinceMs! < cfg.heatingFallWatchMs) return false;
  endDip(d);
  return true;
}

/** The watch on a heat-up dip ends. */
export function endDip(d: WatchdogState): void {
  d.dipSinceMs = null;
  d.dipLowC = null;
  d.dipLowMs = null;
  d.dipRefCPerS = null;
}

/**
 * The lowest reading of a heat-up the rule watches (taken for the room: a bath heated from the
 * tap is at or above it), or null when the rule does not apply to this reading.
 */
function heatUpFrom(cfg: WatchdogConfig, d: WatchdogState, c: number, ctx: WatchdogContext, nowMs: number): number | null {
  if (ctx.cook === null || ctx.reached === true || d.rampSinceMs === null || d.rampLowC === null || d.rampHighC === null) return null;
  if (nowMs - d.rampSinceMs < cfg.heatingFallAfterMs || d.rampHighC - d.rampLowC < cfg.heatingFallArmC) return null;
  if (c >= ctx.cook.targetC - cfg.heaterStuckHotC || c - d.rampLowC > cfg.heatingFallSpanC) return null;
  return d.rampLowC;
}

/** How far a heating bath's reading may fall below its high of `sinceMs` ago before it is a dip. */
function heatingFallLimitC(cfg: WatchdogConfig, c: number, fromC: number, sinceMs: number): number {
  return cfg.heatingFallC + BATH_MAX_COOL_PER_S_PER_K * Math.max(0, c - fromC) * (sinceMs / 1000);
}
