import { BATH_MAX_COOL_C_PER_S, type WatchdogConfig } from '../config.js';
import { type ControlEvent, event } from '../types.js';
import { endFallFault, type WatchdogState } from './state.js';
import type { WatchdogContext } from './watchdog.js';

/**
 * The water test (ADR 053). A reading that falls faster than a bath cools is a probe out of the
 * water, or water that really cooled that fast: cold water poured in to top up a long cook, or a
 * large load of cold food. The fall rule cannot tell them apart and holds the heater off; left
 * there, a topped-up bath cools for hours into the danger zone with the food in it.
 *
 * The water answers heat and the air does not. Once the readings have settled (falling no faster
 * than a bath cools for a minute), during a cook that needs heat, the heater may run once for a
 * short burst sized from the bath's learned heating rate to warm the water by about 1 °C. If the
 * probe then warms, it is in the water: the fault clears and the cook goes on. If it does not, the
 * probe is out; the heater is off again and stays off, and the cook is told. The burst is the
 * whole price of a wrong guess: about 1 °C added to a bath nobody sees.
 *
 * The burst is exactly two commands, both the watchdog's: a press to switch on, and a `safe` when
 * the burst is over. The engine stays inhibited throughout: its miss test, judging a press on a
 * probe in the air, would press again, and with a toggle an even number of presses leaves the
 * heater on unseen (it boiled a 5 L bath in the simulator). It is tried once per fault: a press
 * the servo misses while the probe cannot see the water leaves the heater in a state nobody
 * knows, so the gateway does not gamble twice.
 */

/** What the rules emit through (the watchdog's `Out`). */
export interface Emitter {
  emit(e: ControlEvent, action: string, reason: string, safe: boolean): void;
  pressOn(reason: string): void;
}

const MIN_BURST_MS = 5_000;
const MAX_BURST_MS = 90_000;
/** A reading this long below the highest since the burst: its heat has arrived. */
const PEAKED_MS = 20_000;
/** How long the heat of a burst takes to reach the probe (element, water, probe lags), s. */
const ARRIVAL_S = 60;

/** One reading while a `fall` fault holds (the reading still judged a fall). */
export function waterTest(cfg: WatchdogConfig, d: WatchdogState, c: number, ctx: WatchdogContext, nowMs: number, out: Emitter): void {
  if (ctx.cook === null || d.testPhase === 'done') return;
  if (d.testPhase === null) {
    // Never while another rule holds the heater off: an over-temperature the readings since have
    // not cleared (they are untrusted while the fall holds), a heater on that did not warm the
    // water, presses the water did not show. Its press would be a press on while the bath may be
    // over its limit, and the burst would open the fail-safe latch that holds it.
    if (d.overTemp || d.stuckHeld || d.airHeld) return;
    const coolCPerS = settled(cfg, d, c, nowMs);
    if (coolCPerS === null || c >= ctx.cook.targetC - cfg.waterTestRiseC) return;
    // Only what a pour into a held bath looks like is tested: the cook had reached its target (a
    // top-up, or the food going in); the water settles within the probe's lag of the pour, where a
    // probe in the air follows it down for minutes (d.settleMs: where its last fast fall was); and
    // not far below the target, where the air is.
    const quick = d.settleMs! - (d.fallSinceMs ?? nowMs) <= cfg.waterTestWithinMs;
    if (!ctx.reached || !quick || c < ctx.cook.targetC - cfg.waterTestBelowC) {
      d.testPhase = 'done';
      return;
    }
    startTest(cfg, d, c, ctx, coolCPerS, nowMs, out);
    return;
  }
  if (d.testPhase === 'heat') {
    d.testLowC = Math.min(d.testLowC ?? c, c);
    d.testRiseC = Math.max(d.testRiseC, c - d.testLowC);
    heatPhase(d, c, nowMs, out);
    return;
  }
  watchPhase(cfg, d, c, nowMs, out);
}

/**
 * After the burst: the water warms as its heat arrives (the element and the probe lag), then
 * cools. The test ends when the rise has peaked (the reading below its high for PEAKED_MS), or at
 * the end of the watch. Judged only then, so that the engine takes over a bath that is cooling
 * with the heater off, not one still warming from a burst it knows nothing of.
 */
function watchPhase(cfg: WatchdogConfig, d: WatchdogState, c: number, nowMs: number, out: Emitter): void {
  const low = Math.min(d.testLowC ?? c, c);
  d.testLowC = low;
  // A rise is from a reading to a later one: in the air the probe only falls.
  d.testRiseC = Math.max(d.testRiseC, c - low);
  if (d.testHighC === null || c > d.testHighC) {
    d.testHighC = c;
    d.testHighMs = nowMs;
  }
  const riseC = d.testRiseC;
  const peaked = riseC >= cfg.waterTestPassC && c < d.testHighC && nowMs - (d.testHighMs ?? nowMs) >= PEAKED_MS;
  const over = nowMs - (d.testSinceMs ?? nowMs) >= cfg.waterTestWatchMs;
  if (!peaked && !over) return;
  if (riseC >= cfg.waterTestPassC) passTest(d, c, riseC, peaked, nowMs, out);
  else failTest(d, riseC, out);
}

/**
 * The readings have fallen no faster than a bath cools for a whole settle window: how fast they
 * fell over it (°C/s, ≥ 0), or null. The window starts again at each reading that shows a faster
 * fall, so it opens at the end of the fall.
 */
function settled(cfg: WatchdogConfig, d: WatchdogState, c: number, nowMs: number): number | null {
  if (d.settleC === null || d.settleMs === null || d.settleC - c > 0.25 + (BATH_MAX_COOL_C_PER_S * (nowMs - d.settleMs)) / 1000) {
    d.settleC = c;
    d.settleMs = nowMs;
    return null;
  }
  const spanMs = nowMs - d.settleMs;
  if (spanMs < cfg.waterTestSettleMs) return null;
  return Math.max(0, d.settleC - c) / (spanMs / 1000);
}

/**
 * The burst (ms) that warms the water by `waterTestRiseC` above the cooling it goes on doing while
 * the heat reaches the probe (ARRIVAL_S), from the bath's learned heating rate; never more than
 * twice the rise's worth of heat (what a bath nobody sees may gain), and `waterTestBurstMs` while
 * nothing is learned.
 */
export function burstMs(cfg: WatchdogConfig, heatCPerS: number | null | undefined, coolCPerS: number): number {
  if (heatCPerS === null || heatCPerS === undefined || !(heatCPerS > 0)) return cfg.waterTestBurstMs;
  const wantS = (cfg.waterTestRiseC + coolCPerS * ARRIVAL_S) / heatCPerS;
  const capS = (2 * cfg.waterTestRiseC) / heatCPerS;
  return Math.min(MAX_BURST_MS, Math.max(MIN_BURST_MS, Math.round(Math.min(wantS, capS) * 1000)));
}

function startTest(
  cfg: WatchdogConfig,
  d: WatchdogState,
  c: number,
  ctx: WatchdogContext,
  coolCPerS: number,
  nowMs: number,
  out: Emitter,
): void {
  d.testPhase = 'heat';
  d.testSinceMs = nowMs;
  d.testLowC = c;
  d.testBurstMs = burstMs(cfg, ctx.heatCPerS, coolCPerS);
  d.testOnMs = nowMs;
  const reason = `water test: readings settled at ${c} °C; heat for ${d.testBurstMs / 1000} s to see whether the probe is in the water`;
  out.emit(event('water_test', 'info', true, { tempC: c, burstMs: d.testBurstMs }), 'water_test', reason, false);
  out.pressOn(reason);
}

function heatPhase(d: WatchdogState, c: number | null, nowMs: number, out: Emitter): void {
  if (!burstOver(d, nowMs)) return;
  // The burst is over: off again (a `safe`: it presses only if the kit believes the heater on).
  d.testPhase = 'watch';
  d.testSinceMs = nowMs;
  d.testHighC = c;
  d.testHighMs = nowMs;
  out.emit(
    event('water_test_watch', 'info', true, { heatedMs: nowMs - (d.testOnMs ?? nowMs) }),
    'safe',
    'water test: burst over, heater off while the probe is watched',
    true,
  );
}

/** The water test's burst has run its time. */
export function burstOver(s: WatchdogState, nowMs: number): boolean {
  return s.testPhase === 'heat' && nowMs - (s.testOnMs ?? nowMs) >= s.testBurstMs;
}

/**
 * The clock ends the burst when no reading does (a kit gone quiet mid-burst): the heater-off path
 * does not wait for the kit to report. `d` is the watchdog's working copy.
 */
export function endBurstOnTick(d: WatchdogState, nowMs: number, out: Emitter): void {
  heatPhase(d, d.prevC, nowMs, out);
}

/** The probe warmed with the heater: it is in the water, which really cooled that fast. */
function passTest(d: WatchdogState, c: number, riseC: number, peaked: boolean, nowMs: number, out: Emitter): void {
  endFallFault(d);
  d.lastGoodC = c;
  d.lastGoodMs = nowMs;
  d.waterPassedMs = nowMs;
  const data = { was: 'fall', by: 'water_test', riseC, peaked };
  out.emit(
    event('sensor_ok', 'info', true, data),
    'clear_sensor_fault',
    `water test: the probe warmed ${riseC} °C with the heater: it is in the water`,
    false,
  );
}

/** No warming: the probe is not in the water (or the cooker does not heat). Held off; not tried again. */
function failTest(d: WatchdogState, riseC: number, out: Emitter): void {
  d.testPhase = 'done';
  const data = { heated: true, riseC };
  out.emit(
    event('water_test_failed', 'alarm', true, data),
    'alarm',
    'water test: the probe did not warm when the heater ran: it is not in the water; heater held off',
    false,
  );
}

/**
 * A pass is still a guess. Air that the bath itself warms (the vapour just above the water, a lid)
 * answers the burst too: by a fraction of the water's rise, through a minute's lag. The engine
 * then holds a probe in the air at the target while the water heats on unseen; in the simulator
 * baths at an 80 °C target boiled, every one after such a pass (docs/control.md). In the air the
 * engine's presses do not show in the probe as they do in water, so each looks missed: for
 * `waterTestDoubtMs` after a pass, `waterTestDoubtMisses` presses in a row judged missed withdraw
 * it. The heater is held off (`water_test_failed`, `withdrawn`) until the cook is changed,
 * restarted or stopped: nothing the probe reads from there on can be told from the air.
 *
 * Switching off is a toggle, and after presses judged missed the kit's belief may be wrong. The
 * probe in the air cannot see the heater but the servo still presses, so the heater is on if
 * every press since the probe left the water took (the engine's `countSinceFault`: its
 * `ifAllTook` is set again by each press the bath seems to confirm, and a probe in warm air
 * seems to confirm presses that did not happen). A `safe` presses exactly when the kit believes on,
 * so it is sent only when the kit's belief and that count agree (as in ADR 056): it then switches
 * a heater that is on off, and leaves one that is off alone. Otherwise the engine's next press
 * (tens of seconds) makes them agree; with none within `heaterStuckMs`, the heater is held off
 * without a press and the alarm says so.
 */
export function doubtPassedTest(cfg: WatchdogConfig, d: WatchdogState, ctx: WatchdogContext, nowMs: number, out: Emitter): void {
  if (d.waterPassedMs === null || d.airHeld) return;
  const misses = ctx.pressMisses ?? 0;
  if (d.airDoubtMs === null) {
    if (nowMs - d.waterPassedMs > cfg.waterTestDoubtMs) {
      d.waterPassedMs = null;
      d.doubtMissBase = null;
      return;
    }
    // Only misses after the pass count: a streak from before the fault is where the base starts,
    // and a press the bath confirms (the streak back to 0) starts it again from there.
    if (d.doubtMissBase === null || misses < d.doubtMissBase) d.doubtMissBase = misses;
    if (misses - d.doubtMissBase < cfg.waterTestDoubtMisses) return;
    d.airDoubtMs = nowMs;
  }
  const count = ctx.countSinceFault ?? ctx.heaterIfAllTook;
  const agree = typeof ctx.kitBelief === 'boolean' && ctx.kitBelief === count;
  if (!agree && nowMs - d.airDoubtMs < cfg.heaterStuckMs) return;
  d.airHeld = true;
  d.airDoubtMs = null;
  d.waterPassedMs = null;
  d.doubtMissBase = null;
  const data = { heated: true, withdrawn: true, misses, ...(agree ? {} : { pressed: false }) };
  const reason = `water test withdrawn: ${data.misses} presses in a row did not show in the probe, which seems to read air the bath warms; heater held off${agree ? '' : ' without a press: by the count of presses the kit would switch it on'}`;
  out.emit(event('water_test_failed', 'alarm', true, data), agree ? 'safe' : 'alarm', reason, agree);
}

/**
 * This result ends a test the water passed, after its burst's heat was seen to peak: the heater
 * is off (the bath falls from the peak), whatever the engine made of the `safe` meanwhile.
 */
export function passedPeaked(events: readonly ControlEvent[]): boolean {
  return events.some((e) => e.type === 'sensor_ok' && e.data.by === 'water_test' && e.data.peaked === true);
}

/** This result switched the heater off at the end of a planned burst (not on a fault). */
export function burstJustEnded(s: WatchdogState, nowMs: number): boolean {
  return s.testPhase === 'watch' && s.testSinceMs === nowMs;
}

/** This result starts the water test's burst (the watchdog's press). */
export function burstStarts(s: WatchdogState, nowMs: number): boolean {
  return s.testPhase === 'heat' && s.testSinceMs === nowMs;
}
