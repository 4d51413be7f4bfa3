import { FOOD_CODE } from '../../shared/cook-rules.js';
import { DANGER_LOW_C } from '../../shared/food-safety/core-track.js';

/**
 * A water bath with its heater off cools slower than this (a 5 L open pot at 90 °C: about
 * 0.017 °C/s). A probe that falls faster is not reading the water: the watchdog's fall rule
 * trips on it, and the engine draws no conclusion from it (ADR 051).
 */
export const BATH_MAX_COOL_C_PER_S = 0.02;

/**
 * A bath with its heater off cools at most this fast per kelvin over the room, /s: a 3 L open
 * pot losing 5 W/K (5 / (3 × 4186)). At 5 °C over the room that is 0.12 °C a minute.
 */
export const BATH_MAX_COOL_PER_S_PER_K = 0.0004;

/**
 * Within this of the target a probe reads hot water, not the air: the heater-stuck rule raises its
 * alarm without holding the heater off, and the engine goes on pressing after misses there.
 */
export const HEATER_STUCK_HOT_C = 5;

/**
 * Engine and watchdog settings with their defaults (units in the names). The gateway's config
 * schema can expose these; the engine only needs a plain object.
 */
export interface EngineConfig {
  /** PROTOCOL: never more than one press within the minimum dwell (safe excepted). */
  minDwellMs: number;
  /** Press budget per rolling hour (servo wear, cooker button wear). */
  maxPressesPerHour: number;
  /** |T − target| within this counts as reached (event `reached`). */
  bandC: number;
  /** Lag guess (press → probe response, s) before the bath taught us its own. */
  initialLagS: number;
  /** Cooling-rate guess at target (°C/s) before the bath taught us its own. */
  initialCoolCPerS: number;
  /** Heating-rate guess (°C/s) before the bath taught us its own. */
  initialHeatCPerS: number;
  /** Rise (or fall) against the pre-press trend that confirms a press. */
  verifyC: number;
  /** A press not confirmed this long after it was sent is a miss (upper bound). */
  verifyMaxMs: number;
  /**
   * Command → the earliest moment its effect can show in the probe: the servo's latency (≤ 3 s)
   * plus the bath's dead time. A miss is inferred only from readings taken after it.
   */
  effectDelayMs: number;
  /** Misses in a row that raise an `actuator_fault` alarm. */
  alarmAfterMisses: number;
  /**
   * On-presses the probe may not see (ADR 056): after this many presses in a row judged missed,
   * more than `HEATER_STUCK_HOT_C` under the target, with the kit believing its heater on and
   * every press, had it taken, leaving it on, the engine presses no more for `blindPauseMs` after
   * its last press. Each further press toggles a heater nobody may be seeing; the heater-stuck rule
   * (whose `safe` then switches it off) decides within that time.
   */
  blindAfterMisses: number;
  blindPauseMs: number;
  /**
   * A kit whose heater flag changes by itself (no press of ours explains it) `flapChanges` times
   * within `flapWindowMs`, or `flapSlowChanges` times within `flapSlowWindowMs` (sliding windows),
   * is flapping: each change is an unconfirmed press the engine waits on, so it decides little or
   * nothing while they go on, and a person must hear of it (`kit_flapping`, an alarm). It ends
   * after `flapSteadyMs` without such a change (`kit_steady`): as long as the slow window, so that
   * a slow flap is not told as over and begun again.
   */
  flapChanges: number;
  flapWindowMs: number;
  flapSlowChanges: number;
  flapSlowWindowMs: number;
  flapSteadyMs: number;
  /**
   * After `reached` (the cook is told the food can go in), on-presses are judged without the
   * fast test for this long: cold food takes heat the model does not know of (ADR 062).
   */
  loadWindowMs: number;
  /** Window of the least-squares slope and level. */
  slopeWindowMs: number;
  /** Keep holding the target after the timer ran out (safer for food than a cooling bath). */
  holdAfterDone: boolean;
  /** Plan cycles for this share of the hourly cap, keeping headroom for corrections. */
  budgetShare: number;
}

export const DEFAULT_ENGINE: Readonly<EngineConfig> = Object.freeze({
  minDwellMs: 30_000,
  maxPressesPerHour: 40,
  bandC: 0.5,
  initialLagS: 35,
  initialCoolCPerS: 0.002,
  initialHeatCPerS: 0.03,
  verifyC: 0.1,
  verifyMaxMs: 58_000,
  effectDelayMs: 8_000,
  alarmAfterMisses: 3,
  blindAfterMisses: 2,
  blindPauseMs: 300_000,
  flapChanges: 4,
  flapWindowMs: 60_000,
  flapSlowChanges: 6,
  flapSlowWindowMs: 600_000,
  flapSteadyMs: 600_000,
  loadWindowMs: 600_000,
  slopeWindowMs: 20_000,
  holdAfterDone: true,
  budgetShare: 0.9,
});

export interface WatchdogConfig {
  /** PROTOCOL: telemetry about 1 Hz. */
  expectedIntervalMs: number;
  /** Offline after this many intervals without telemetry. */
  offlineIntervals: number;
  /** Consecutive bad readings that trip the sensor-fault fail-safe. */
  badReadingsToTrip: number;
  /** Good readings in a row that clear a sensor fault. */
  goodReadingsToClear: number;
  /** Unchanged raw value this long = stuck probe. */
  stuckMs: number;
  /** Unchanged raw value this long while the heater is on = stuck probe. */
  stuckHeaterOnMs: number;
  /** A change faster than this between readings is implausible for a water bath. */
  maxJumpCPerS: number;
  /**
   * A reading this far below the recent high (the highest of the last `fallWindowMs`), beyond
   * what a bath can cool in the time, is a probe out of the water (sensor fault `fall`).
   */
  maxFallC: number;
  fallWindowMs: number;
  /**
   * A `fall` fault lets go when the readings rise `maxFallC` from their lowest: the probe back in
   * a bath warmer than the air. Only a rise that water makes counts, its mean rate taken from
   * the last reading at the bottom (within `fallRiseSlackC` of the lowest): `maxFallC` per
   * `fallRiseWithinMs` or faster (back in water the probe covers 3 °C in a few of its 8 s time
   * constants), or `fallRiseWaterShare` of the bath's learned heating rate or faster (water its
   * heater still heats, after a `safe` that missed). Air that such a bath warms rises by its share of
   * the water's rise and a minute late, and must not pass for the probe back in the water.
   */
  fallRiseWithinMs: number;
  fallRiseSlackC: number;
  fallRiseWaterShare: number;
  /**
   * A `fall` fault also lets go, at any rate, once the reading is this far above both the high
   * before the fall and the cook's target: hotter than the water was, which air over the bath
   * cannot be (sensor.ts).
   */
  fallHotOverC: number;
  /**
   * While a `fall` fault holds, the heater should be off, so neither the water nor the air above
   * it warms. A reading that rose `fallWarmingC` over one window of `fallWarmingWindowMs` (the
   * element's coast and the probe's fall settle within the first) says the heater is still on: a
   * `safe` that missed. Critical alarm `heater_state_unknown` (warming.ts); no press.
   */
  fallWarmingC: number;
  fallWarmingWindowMs: number;
  /**
   * For `vouchedFallMs` after an operator lets a fall fault go by changing the cook, a fall is
   * judged against `vouchedFallCPerS` instead of the fastest a bath cools by itself: the operator
   * has put the probe back, or knows that the water really cooled (a large load of frozen food
   * goes on pulling the bath down for minutes). A probe in room air still falls faster.
   */
  vouchedFallMs: number;
  vouchedFallCPerS: number;
  /**
   * The heat-up fall (heat-up-fall.ts). Early in a heat-up the water is only a few degrees above
   * the room, and a probe slipping into air the bath warms falls far less than `maxFallC`. But
   * water that its heater heats does not fall at all. Once the heater has been commanded on for
   * `heatingFallAfterMs` and the readings rose `heatingFallArmC` from their lowest in that time
   * (the probe saw the heater heat the water), before the cook reached its target and more than
   * `heaterStuckHotC` under it, within `heatingFallSpanC` of the lowest reading (taken for the
   * room: higher up, a probe slipping into air with up to 0.8 of the bath's excess falls the fall
   * rule's 3 °C): a reading `heatingFallC` below the recent high, beyond what the bath could have
   * cooled had its heater gone off (BATH_MAX_COOL_PER_S_PER_K × its rise over that lowest
   * reading), is a dip. For `heatingFallWatchMs` the engine presses nothing and the heater stays
   * on: water that a pour or cold food pulled down rises again from the bottom of the dip as
   * water does (`fallRiseWaterShare` of the heating rate the bath showed before the dip, by twice
   * `fallRiseSlackC`), and the heat-up carries on. A probe in the air does not, and the dip is a
   * `fall`.
   */
  heatingFallAfterMs: number;
  heatingFallSpanC: number;
  heatingFallWatchMs: number;
  heatingFallArmC: number;
  heatingFallC: number;
  /**
   * The water test after a fall (water-test.ts): once the readings fall no faster than a bath
   * cools for `waterTestSettleMs`, the heater may run for a burst sized to warm the water by
   * `waterTestRiseC` (`waterTestBurstMs` while the bath's heating rate is not known yet, within
   * 5–90 s); a rise of `waterTestPassC` within `waterTestWatchMs` of the burst's end is the probe
   * in the water. Only a fall that ended within `waterTestWithinMs` of the fault is tested (water
   * settles within the probe's lag; a probe in the air falls for minutes), during a cook that had
   * reached its target, to a reading no more than `waterTestBelowC` under it.
   */
  waterTestSettleMs: number;
  waterTestWithinMs: number;
  waterTestBelowC: number;
  waterTestRiseC: number;
  waterTestBurstMs: number;
  waterTestPassC: number;
  waterTestWatchMs: number;
  /**
   * A passed water test stays in doubt for `waterTestDoubtMs`: air the bath itself warms answers
   * the burst too, and then the engine's presses do not show in the probe as they do in water.
   * `waterTestDoubtMisses` presses in a row judged missed in that time withdraw the pass.
   */
  waterTestDoubtMs: number;
  waterTestDoubtMisses: number;
  /** Over-temperature above target + this. */
  overTargetC: number;
  /** Absolute over-temperature limit (also sent to the kit as Command.maxC). */
  absoluteMaxC: number;
  /**
   * A target set below the water (a cook changed or started cooler than the bath) is not an
   * alarm: the heater goes off and stays latched off while the water cools. The water rising this
   * far above its lowest since then is: `over_temp` then (watchdog.ts, overTemp).
   */
  loweredRiseC: number;
  /** ...and water that sets no new low by `coolingStepC` for `coolingStallMs` is not cooling: also `over_temp`. */
  coolingStepC: number;
  coolingStallMs: number;
  /** Heater stuck: commanded on this long with no rise; the heater is then held off (watchdog.ts). */
  heaterStuckMs: number;
  /** ...unless the probe reads within this of the target: it is in hot water, and the engine's miss test has the case. */
  heaterStuckHotC: number;
  heaterStuckRiseC: number;
  /** FDA Food Code danger zone and time-as-a-control figures. */
  dangerLowC: number;
  dangerHighC: number;
  dangerAlertMs: number;
  dangerAlarmMs: number;
}

export const DEFAULT_WATCHDOG: Readonly<WatchdogConfig> = Object.freeze({
  expectedIntervalMs: 1000,
  offlineIntervals: 3,
  badReadingsToTrip: 3,
  goodReadingsToClear: 3,
  stuckMs: 300_000,
  stuckHeaterOnMs: 120_000,
  maxJumpCPerS: 2,
  maxFallC: 3,
  fallWindowMs: 60_000,
  fallRiseWithinMs: 30_000,
  fallRiseSlackC: 0.25,
  fallRiseWaterShare: 0.65,
  fallHotOverC: 1,
  fallWarmingC: 0.5,
  fallWarmingWindowMs: 3 * 60_000,
  vouchedFallMs: 600_000,
  vouchedFallCPerS: 0.15,
  heatingFallAfterMs: 90_000,
  heatingFallSpanC: 15,
  heatingFallWatchMs: 120_000,
  heatingFallArmC: 1,
  heatingFallC: 0.4,
  waterTestSettleMs: 60_000,
  waterTestWithinMs: 120_000,
  waterTestBelowC: 15,
  waterTestRiseC: 1,
  waterTestBurstMs: 30_000,
  waterTestPassC: 0.4,
  waterTestWatchMs: 120_000,
  waterTestDoubtMs: 30 * 60_000,
  waterTestDoubtMisses: 3,
  overTargetC: 3,
  absoluteMaxC: 90,
  loweredRiseC: 1,
  coolingStepC: 0.1,
  coolingStallMs: 15 * 60_000,
  heaterStuckMs: 300_000,
  heaterStuckHotC: HEATER_STUCK_HOT_C,
  heaterStuckRiseC: 0.25,
  dangerLowC: DANGER_LOW_C,
  dangerHighC: FOOD_CODE.dangerHighC,
  dangerAlertMs: 2 * 3600_000,
  dangerAlarmMs: FOOD_CODE.dangerAlarmMs,
});
