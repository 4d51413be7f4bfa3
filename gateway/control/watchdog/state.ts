/**
 * Per-device watchdog state: plain data. A rule never mutates the state it is given: it works on
 * one copy (copyWatchdogState) and returns that.
 */
export interface WatchdogState {
  /** null until the first message. */
  online: boolean | null;
  lastRxMs: number | null;
  /** Sensor rule. */
  bad: number;
  good: number;
  sensorFault: string | null;
  prevC: number | null;
  lastGoodC: number | null;
  lastGoodMs: number | null;
  sameC: number | null;
  sameSinceMs: number | null;
  /** Fall rule: the recent high a probe in the water cannot fall far below (sensor.ts). */
  fallRefC: number | null;
  fallRefMs: number | null;
  /** The lowest reading while a `fall` fault holds (a rise above it is the probe back in the water). */
  fallLowC: number | null;
  /**
   * The last reading still at the bottom of a `fall` fault (within `fallRiseSlackC` of
   * `fallLowC`): a rise's mean rate is taken from there (sensor.ts).
   */
  fallLowMs: number | null;
  /**
   * While a `fall` fault holds (warming.ts): the reading at the start of the current warming
   * window, when that window started, whether that window is judged (not the first after the
   * fault or a water test), and whether the warming was alarmed in this fault.
   */
  warmFromC: number | null;
  warmFromMs: number | null;
  warmSettled: boolean;
  warmAlarmed: boolean;
  /** When the `fall` fault tripped. */
  fallSinceMs: number | null;
  /**
   * An operator let a `fall` fault go by changing the cook: they vouch that the probe is in the
   * water, so until then the fall rule allows the bath to fall as fast as cold food pulls it.
   */
  vouchedUntilMs: number | null;
  /** The water test after a fall (water-test.ts): the reading that opened the current settle window. */
  settleC: number | null;
  settleMs: number | null;
  /** `heat`: the heater may run for `testBurstMs`; `watch`: off again, the probe is watched; `done`: tried for this fault. */
  testPhase: 'heat' | 'watch' | 'done' | null;
  testSinceMs: number | null;
  /** The lowest reading since the test began (a rise above it is the water warming). */
  testLowC: number | null;
  /** The highest reading since the burst ended, and when (the burst's heat has arrived once it falls from there). */
  testHighC: number | null;
  testHighMs: number | null;
  /** The largest rise yet from a reading to a later one, since the test began. */
  testRiseC: number;
  testBurstMs: number;
  /** When the heater was first commanded on in the test. */
  testOnMs: number | null;
  /** When the water test last passed (water-test.ts, doubtPassedTest): a pass stays in doubt for a while. */
  waterPassedMs: number | null;
  /** The engine's misses in a row when the doubt began (misses from before the pass do not count). */
  doubtMissBase: number | null;
  /** The presses after a pass looked missed, since then: waiting for a press count at which `safe` switches off. */
  airDoubtMs: number | null;
  /** The pass was withdrawn: the probe seems to read air, and the heater is held off until the cook changes. */
  airHeld: boolean;
  /**
   * The heat-up fall (heat-up-fall.ts): since when the heater has been commanded on (unlike
   * `heaterOnSinceMs`, not moved on by a rise), and the lowest and highest readings since.
   */
  rampSinceMs: number | null;
  rampLowC: number | null;
  rampHighC: number | null;
  /**
   * The ramp's rate in windows of RAMP_WINDOW_MS: where the current window began, and the rates of
   * the last two finished ones (°C/s). The rate before a dip is the faster of them.
   */
  rampMarkC: number | null;
  rampMarkMs: number | null;
  rampRate1: number | null;
  rampRate2: number | null;
  /**
   * A heat-up dip being watched (heat-up-fall.ts): since when, the bottom of the dip and the last
   * reading still there, and the heating rate the bath had shown before it (a rise from the bottom
   * that water makes is judged against it).
   */
  dipSinceMs: number | null;
  dipLowC: number | null;
  dipLowMs: number | null;
  dipRefCPerS: number | null;
  /** Over-temperature latch. */
  overTemp: boolean;
  /**
   * Set while the latch holds for a target lowered below the water (not an alarm): the lowest
   * reading since. null for a real over-temperature, or none.
   */
  coolingLowC: number | null;
  /** While cooling: the reading that last set a new low by `coolingStepC`, and when (a bath that stops cooling is heated). */
  coolingMarkC: number | null;
  coolingMarkMs: number | null;
  /** The over-temperature limit at the last good reading, and that reading: a limit that fell below the water is a lowered target. */
  limitC: number | null;
  limitAtC: number | null;
  /**
   * An over-temperature alarm raised before a gateway restart that the store still holds
   * uncleared (its id), not judged yet: the first reading over the limit trips again, naming it
   * (`continues`: the same alarm, not a new one), one back under the limit ends it (ADR 081).
   */
  overTempCarried: string | null;
  /** The carried alarm was told to somebody: only then does a trip continue it silently. */
  overTempCarriedTold: boolean;
  /** Heater-stuck rule: commanded on since (or since its last rise), and the reading then. */
  heaterOnSinceMs: number | null;
  heaterOnStartC: number | null;
  heaterMaxC: number | null;
  /** Tripped: the `heater_stuck` alarm stands (until the heater goes off, or the hold below lets go). */
  stuckAlarmed: boolean;
  /** Tripped far below the target: the heater is held off until the probe shows the water warming, or the cook changes. */
  stuckHeld: boolean;
  /** The lowest reading since the trip (a rise above it releases). */
  stuckLowC: number | null;
  /** Food safety: time in the danger zone during the current cook. */
  dangerMs: number;
  dangerLastMs: number | null;
  dangerLastIn: boolean;
  dangerAlerted: boolean;
  dangerAlarmed: boolean;
}

export function initialWatchdogState(): WatchdogState {
  return {
    online: null,
    lastRxMs: null,
    bad: 0,
    good: 0,
    sensorFault: null,
    prevC: null,
    lastGoodC: null,
    lastGoodMs: null,
    sameC: null,
    sameSinceMs: null,
    fallRefC: null,
    fallRefMs: null,
    fallLowC: null,
    fallLowMs: null,
    warmFromC: null,
    warmFromMs: null,
    warmSettled: false,
    warmAlarmed: false,
    fallSinceMs: null,
    vouchedUntilMs: null,
    settleC: null,
    settleMs: null,
    testPhase: null,
    testSinceMs: null,
    testLowC: null,
    testHighC: null,
    testHighMs: null,
    testRiseC: 0,
    testBurstMs: 0,
    testOnMs: null,
    waterPassedMs: null,
    doubtMissBase: null,
    airDoubtMs: null,
    airHeld: false,
    rampSinceMs: null,
    rampLowC: null,
    rampHighC: null,
    rampMarkC: null,
    rampMarkMs: null,
    rampRate1: null,
    rampRate2: null,
    dipSinceMs: null,
    dipLowC: null,
    dipLowMs: null,
    dipRefCPerS: null,
    overTemp: false,
    coolingLowC: null,
    coolingMarkC: null,
    coolingMarkMs: null,
    limitC: null,
    limitAtC: null,
    overTempCarried: null,
    overTempCarriedTold: false,
    heaterOnSinceMs: null,
    heaterOnStartC: null,
    heaterMaxC: null,
    stuckAlarmed: false,
    stuckHeld: false,
    stuckLowC: null,
    dangerMs: 0,
    dangerLastMs: null,
    dangerLastIn: false,
    dangerAlerted: false,
    dangerAlarmed: false,
  };
}

/**
 * A copy with every field written out, so that every state has one shape: V8 then copies it on
 * its fast path. A spread of a spread (`{ ...s, ...partial }`) gave states of many shapes, and
 * each copy went through the slow path (a third of the control step at 10,000 kits). A field
 * added to WatchdogState and missing here is a compile error.
 */
export function copyWatchdogState(s: WatchdogState): WatchdogState {
  return {
    online: s.online,
    lastRxMs: s.lastRxMs,
    bad: s.bad,
    good: s.good,
    sensorFault: s.sensorFault,
    prevC: s.prevC,
    lastGoodC: s.lastGoodC,
    lastGoodMs: s.lastGoodMs,
    sameC: s.sameC,
    sameSinceMs: s.sameSinceMs,
    fallRefC: s.fallRefC,
    fallRefMs: s.fallRefMs,
    fallLowC: s.fallLowC,
    fallLowMs: s.fallLowMs,
    warmFromC: s.warmFromC,
    warmFromMs: s.warmFromMs,
    warmSettled: s.warmSettled,
    warmAlarmed: s.warmAlarmed,
    fallSinceMs: s.fallSinceMs,
    vouchedUntilMs: s.vouchedUntilMs,
    settleC: s.settleC,
    settleMs: s.settleMs,
    testPhase: s.testPhase,
    testSinceMs: s.testSinceMs,
    testLowC: s.testLowC,
    testHighC: s.testHighC,
    testHighMs: s.testHighMs,
    testRiseC: s.testRiseC,
    testBurstMs: s.testBurstMs,
    testOnMs: s.testOnMs,
    waterPassedMs: s.waterPassedMs,
    doubtMissBase: s.doubtMissBase,
    airDoubtMs: s.airDoubtMs,
    airHeld: s.airHeld,
    rampSinceMs: s.rampSinceMs,
    rampLowC: s.rampLowC,
    rampHighC: s.rampHighC,
    rampMarkC: s.rampMarkC,
    rampMarkMs: s.rampMarkMs,
    rampRate1: s.rampRate1,
    rampRate2: s.rampRate2,
    dipSinceMs: s.dipSinceMs,
    dipLowC: s.dipLowC,
    dipLowMs: s.dipLowMs,
    dipRefCPerS: s.dipRefCPerS,
    overTemp: s.overTemp,
    coolingLowC: s.coolingLowC,
    coolingMarkC: s.coolingMarkC,
    coolingMarkMs: s.coolingMarkMs,
    limitC: s.limitC,
    limitAtC: s.limitAtC,
    overTempCarried: s.overTempCarried,
    overTempCarriedTold: s.overTempCarriedTold,
    heaterOnSinceMs: s.heaterOnSinceMs,
    heaterOnStartC: s.heaterOnStartC,
    heaterMaxC: s.heaterMaxC,
    stuckAlarmed: s.stuckAlarmed,
    stuckHeld: s.stuckHeld,
    stuckLowC: s.stuckLowC,
    dangerMs: s.dangerMs,
    dangerLastMs: s.dangerLastMs,
    dangerLastIn: s.dangerLastIn,
    dangerAlerted: s.dangerAlerted,
    dangerAlarmed: s.dangerAlarmed,
  };
}

/** The fall rule starts again: no recent high, no lowest reading of a fault, no water test. */
export function endFallWatch(d: WatchdogState): void {
  d.fallRefC = null;
  d.fallRefMs = null;
  d.fallLowC = null;
  d.fallLowMs = null;
  d.warmFromC = null;
  d.warmFromMs = null;
  d.warmSettled = false;
  d.warmAlarmed = false;
  d.fallSinceMs = null;
  d.settleC = null;
  d.settleMs = null;
  d.testPhase = null;
  d.testSinceMs = null;
  d.testLowC = null;
  d.testHighC = null;
  d.testHighMs = null;
  d.testRiseC = 0;
  d.testBurstMs = 0;
  d.testOnMs = null;
}

/**
 * A `fall` fault lets go (the water test passed, or the cook changed): no fault, no count of bad
 * or good readings, no fall watch. The caller sets the last good reading it knows, if any.
 */
export function endFallFault(d: WatchdogState): void {
  d.sensorFault = null;
  d.bad = 0;
  d.good = 0;
  endFallWatch(d);
}

/** The water test's burst or its watch is under way: its own verdict decides (water-test.ts). */
export function waterTestRunning(s: WatchdogState): boolean {
  return s.testPhase === 'heat' || s.testPhase === 'watch';
}

/** Why the heater must stay off, or null: the engine is inhibited while this is set. */
export function watchdogInhibit(s: WatchdogState): string | null {
  if (s.sensorFault !== null) return `sensor fault (${s.sensorFault})`;
  if (s.overTemp) return s.coolingLowC === null ? 'over-temperature' : 'cooling: the target is below the water';
  if (s.stuckHeld) return 'heater on, water not warming';
  if (s.airHeld) return 'probe not in the water: the presses did not show in it';
  if (s.dipSinceMs !== null) return 'the reading fell while heating: watching whether it answers the heater';
  return null;
}
