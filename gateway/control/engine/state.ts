import type { CookSpec, CookState } from '../../../shared/cook.js';
import { DEFAULT_ENGINE, type EngineConfig } from '../config.js';
import { EMPTY_WINDOW, type Window } from '../slope.js';
import type { PressTest } from './miss-test.js';

/** One cook on one device. The timer (durationMin) counts from `reached`, as on a cooker. */
export interface CookSession {
  spec: CookSpec;
  phase: CookState;
  startedMs: number;
  reachedMs: number | null;
  doneMs: number | null;
}

/** What each bath taught the engine (kept per device; the gateway may persist it). */
export interface Learned {
  /** Press → probe response (servo + element + probe lags), s. */
  lagS: number;
  lagSamples: number;
  /** Rise rate with the heater on, near the target, °C/s. */
  heatCPerS: number;
  heatSamples: number;
  /**
   * Slope with the heater on for a while during the heat-up ramp (the last of it is near the
   * target), °C/s: with the cooling rate, the element's full heating rate (the press test's r).
   */
  rampHeatCPerS: number;
  rampHeatSamples: number;
  /** Fall rate with the heater off, near the target, °C/s (positive). */
  coolCPerS: number;
  coolSamples: number;
  /** Peak − trough per second of on-time in a short pulse, °C/s. */
  pulseGainCPerS: number;
  pulseSamples: number;
  /** How long an on-press takes to show in the probe, s (pulses cannot be shorter). */
  verifyOnS: number;
}

export interface PendingPress {
  expect: boolean;
  atMs: number;
  fromC: number;
  /** Slope when the press was sent: the counterfactual trend if the press misses. */
  fromSlope: number;
  /** Steepest slope seen since the press: an off-press that worked shows as a fading rise. */
  peakSlope: number;
  deadlineMs: number;
  /** Self-inflicted by the kit (device-side safety press), not ours. */
  byDevice: boolean;
  /**
   * An on-press judged under a pull (verify.ts `deferUnderPull`): the bath fell faster than it
   * cools, and the press's reference was moved to where the pull ended.
   */
  pulled: boolean;
  /** The kit presses for it (a `safe` while the kit believes the heater off does not): it toggled `ifAllTook`. */
  toggled: boolean;
}

/** A heater switch the engine confirmed (command time), kept while its response still bends the probe's curve. */
export interface Switch {
  atMs: number;
  on: boolean;
}

/** Observation of one heating episode: from the on-press, through the off-press, to the peak. */
export interface Episode {
  mode: 'ramp' | 'pulse';
  onMs: number;
  /** Planned on-time for a pulse, ms. */
  plannedOnMs: number;
  troughC: number;
  troughMs: number;
  offMs: number | null;
  offC: number;
  offSlope: number;
  peakC: number;
  peakMs: number;
  peakSeen: boolean;
}

/** Running least-squares sums over the heat-up ramp (t in s since the press). */
export interface RampFit {
  pressMs: number;
  fromC: number;
  fromSlope: number;
  n: number;
  st: number;
  sc: number;
  stt: number;
  stc: number;
}

export interface ActuatorHealth {
  presses: number;
  confirmed: number;
  misses: number;
  consecutiveMisses: number;
  drifts: number;
  /** Last miss: press → detection, ms. */
  lastDetectMs: number | null;
}

export interface EngineState {
  cook: CookSession | null;
  /** Set by the watchdog (over-temperature, sensor fault, unsafe resume): heater must stay off. */
  inhibit: string | null;
  /** The engine's inference of the real heater state (the kit's flag is only its belief). */
  actual: boolean;
  /**
   * The heater's state if every press since the last one the bath confirmed took: each press the
   * kit makes toggles it. When the probe cannot see the heater (out of the water, in air near room
   * temperature), every press is judged missed and pressed again, so this, not `actual`, is where
   * the heater is; a `safe` then switches the heater off only if the kit believes it on while this
   * says on (watchdog.ts, heater-stuck rule).
   */
  ifAllTook: boolean;
  /**
   * The same count from where the probe left the water (a `fall` fault; `markFault`), never set
   * again by a press the bath seemed to confirm: a probe in air the bath warms seems to confirm
   * presses that did not happen. null while no fault has marked it. The water test's doubt reads
   * it (watchdog/water-test.ts).
   */
  countSinceFault: boolean | null;
  lastBelief: boolean | null;
  lastBoot: number | null;
  pending: PendingPress | null;
  lastPressMs: number | null;
  pressLog: number[];
  episode: Episode | null;
  /** Heat-up ramp being measured for the lag (intercept of the ramp). */
  ramp: RampFit | null;
  /**
   * Budget pacing from the last pulse cycle: on-time of that pulse and the on-time that would
   * have stretched its cycle to the budget's minimum (energy balance: period ∝ on-time).
   */
  pace: { lastOnMs: number | null; lastOnS: number | null; pacedOnS: number };
  /** When the slope started to contradict `actual` (drift detection). */
  driftSinceMs: number | null;
  learn: Learned;
  /** The slope window: the last `slopeWindowMs` of `hist` (a view on the same readings). */
  win: Window;
  /** The last ~minute and a half of readings: what a press is tested on (miss-test.ts). */
  hist: Window;
  /** The running test of the pending press (miss-test.ts), updated in place reading by reading. */
  pressTest: PressTest | null;
  /** Recent confirmed switches, oldest first (at most a few). */
  switches: Switch[];
  lastC: number | null;
  lastMs: number | null;
  /** The last reading's slope says something cold is pulling the bath down (verify.ts `pulledDown`). */
  pulled: boolean;
  health: ActuatorHealth;
  /** `doubtAlarmed`: `kit_in_doubt` was raised, and no Ack `ok` has come since (device-control.ts, ADR 088). */
  flags: { capWarned: boolean; missAlarmed: boolean; doubtAlarmed: boolean };
  /**
   * The times of the last few changes of the kit's heater flag that no press of ours explains
   * (engine.ts, `noteSelfPress`); `alarmed` once `kit_flapping` was raised. null when none is recent.
   */
  flap: { times: number[]; alarmed: boolean } | null;
}

export function initialLearned(cfg: EngineConfig = DEFAULT_ENGINE): Learned {
  return {
    lagS: cfg.initialLagS,
    lagSamples: 0,
    heatCPerS: cfg.initialHeatCPerS,
    heatSamples: 0,
    rampHeatCPerS: cfg.initialHeatCPerS,
    rampHeatSamples: 0,
    coolCPerS: cfg.initialCoolCPerS,
    coolSamples: 0,
    pulseGainCPerS: cfg.initialHeatCPerS + cfg.initialCoolCPerS,
    pulseSamples: 0,
    verifyOnS: cfg.minDwellMs / 1000,
  };
}

/** A device the engine has not seen yet; `learned` carries a bath's figures over from a past cook. */
/**
 * A shallow copy with every field written out: every state then has one shape, and V8 copies it
 * on its fast path (a spread of states of many shapes took its slow one). A field added to
 * EngineState and missing here is a compile error.
 */
export function copyEngineState(s: EngineState): EngineState {
  return {
    cook: s.cook,
    inhibit: s.inhibit,
    actual: s.actual,
    ifAllTook: s.ifAllTook,
    countSinceFault: s.countSinceFault,
    lastBelief: s.lastBelief,
    lastBoot: s.lastBoot,
    pending: s.pending,
    lastPressMs: s.lastPressMs,
    pressLog: s.pressLog,
    episode: s.episode,
    ramp: s.ramp,
    pace: s.pace,
    driftSinceMs: s.driftSinceMs,
    learn: s.learn,
    win: s.win,
    hist: s.hist,
    pressTest: s.pressTest,
    switches: s.switches,
    lastC: s.lastC,
    lastMs: s.lastMs,
    pulled: s.pulled,
    health: s.health,
    flags: s.flags,
    flap: s.flap,
  };
}

export function initialEngineState(cfg: EngineConfig = DEFAULT_ENGINE, learned?: Learned): EngineState {
  return {
    cook: null,
    inhibit: null,
    actual: false,
    ifAllTook: false,
    countSinceFault: null,
    lastBelief: null,
    lastBoot: null,
    pending: null,
    lastPressMs: null,
    pressLog: [],
    episode: null,
    ramp: null,
    pace: { lastOnMs: null, lastOnS: null, pacedOnS: 0 },
    driftSinceMs: null,
    // A learn block from an older version lacks the newer figures: their priors fill in.
    learn: { ...initialLearned(cfg), ...learned },
    win: EMPTY_WINDOW,
    hist: EMPTY_WINDOW,
    pressTest: null,
    switches: [],
    lastC: null,
    lastMs: null,
    pulled: false,
    health: { presses: 0, confirmed: 0, misses: 0, consecutiveMisses: 0, drifts: 0, lastDetectMs: null },
    flags: { capWarned: false, missAlarmed: false, doubtAlarmed: false },
    flap: null,
  };
}

/** Exponential moving average that lets the first sample replace the prior guess. */
export function ema(prev: number, sample: number, samples: number, alpha: number): number {
  return samples === 0 ? sample : prev + alpha * (sample - prev);
}

export function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

/** The kit made a press: the counts of presses toggle (`ifAllTook`, and `countSinceFault` once marked). */
export function countPress(d: EngineState): void {
  d.ifAllTook = !d.ifAllTook;
  if (d.countSinceFault !== null) d.countSinceFault = !d.countSinceFault;
}

/** How long after the cook's `reached` the moment `atMs` is (negative before it); null until reached. */
export function sinceReachedMs(s: EngineState, atMs: number): number | null {
  const reachedMs = s.cook?.reachedMs ?? null;
  return reachedMs === null ? null : atMs - reachedMs;
}
