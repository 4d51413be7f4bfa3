import type { CookSpec } from '../../../shared/cook.js';
import { budgetFor, minCycleS, pruneLog } from '../budget.js';
import { BATH_MAX_COOL_C_PER_S, DEFAULT_ENGINE, type EngineConfig, HEATER_STUCK_HOT_C } from '../config.js';
import { EMPTY_WINDOW, type Fit, fitLine, follow, pushSample } from '../slope.js';
import { type AuditIntent, type ControlEvent, type Decision, event, NO_DECISION, type Reading, type StepResult } from '../types.js';
import { learnFromReading } from './learn.js';
import { fmt, planHeater } from './plan.js';
import { copyEngineState, countPress, type EngineState } from './state.js';
import { deferUnderPull, detectDrift, onDeadlineMs, pulledDown, verifyPending } from './verify.js';

/**
 * The control decision engine: pure and deterministic, (state, reading, now) → (state', decision,
 * events, audit). No clock, no I/O: the gateway passes its receive time and sends the decision.
 * Order inside one step: kit-belief changes → slope → press verification and drift → learning →
 * cook lifecycle → plan → budget.
 */
export type EngineResult = StepResult<EngineState>;
/** Readings kept for the press test: its baseline before the press and the answer after it. */
const HIST_MS = 90_000;

const draft = copyEngineState;

function done(d: EngineState, decision: Decision, events: ControlEvent[], audit: AuditIntent[] = []): EngineResult {
  return { state: d, decision, events, audit };
}

export function step(state: EngineState, reading: Reading, nowMs: number, cfg: EngineConfig = DEFAULT_ENGINE): EngineResult {
  const d = draft(state);
  const events: ControlEvent[] = [];
  const audit: AuditIntent[] = [];
  noticeBelief(cfg, d, reading, nowMs, events);
  flapEnds(cfg, d, nowMs, events);
  // Sensor faults are the watchdog's; the engine neither learns nor presses on a bad reading.
  if (reading.sensor !== 'ok' || reading.tempC === null) return done(d, NO_DECISION, events);
  // One copy of each reading, in the device's ring: the slope window is a view on the history.
  d.hist = pushSample(d.hist, nowMs, reading.tempC, Math.max(HIST_MS, cfg.slopeWindowMs));
  d.win = follow(d.win, d.hist, cfg.slopeWindowMs);
  d.lastC = reading.tempC;
  d.lastMs = nowMs;
  const fit = fitLine(d.win);
  d.pulled = fit !== null && pulledDown(d, fit.slope);
  if (fit === null) return done(d, NO_DECISION, events);
  // Falling faster than any bath cools: the probe is not reading the water (out of the bath). The
  // watchdog's fall rule judges that; the engine neither infers a press nor learns nor presses on
  // it, since a press on a wrong inference toggles the heater the wrong way (ADR 051).
  if (fit.slope < -BATH_MAX_COOL_C_PER_S) {
    // An on-press waiting for its answer is judged from where the fall ends (verify.ts).
    deferUnderPull(d, fit, nowMs);
    return done(d, NO_DECISION, events);
  }
  verifyPending(cfg, d, fit, nowMs, events);
  detectDrift(d, fit, nowMs, events);
  learnFromReading(d, fit, nowMs);
  lifecycle(cfg, d, fit, nowMs, events);
  return done(d, decide(cfg, d, fit, nowMs, events, audit), events, audit);
}

/** A change of the kit's belief that no command of ours explains: the kit pressed by itself. */
function noticeBelief(cfg: EngineConfig, d: EngineState, r: Reading, nowMs: number, out: ControlEvent[]): void {
  const prev = d.lastBelief;
  d.lastBelief = r.heater;
  const rebooted = r.boot !== undefined && d.lastBoot !== null && r.boot !== d.lastBoot;
  if (r.boot !== undefined) d.lastBoot = r.boot;
  // A reboot resets the kit's belief; nothing was pressed, the heater is what it was.
  if (rebooted) {
    out.push(event('kit_rebooted', 'warning', false, { boot: r.boot, belief: r.heater ? 'on' : 'off', inferred: d.actual ? 'on' : 'off' }));
    return;
  }
  if (prev === null || prev === r.heater) return;
  if (d.pending !== null && d.pending.expect === r.heater) return;
  out.push(event('device_press', 'warning', true, { belief: r.heater ? 'on' : 'off' }));
  noteSelfPress(cfg, d, nowMs, out);
  countPress(d);
  const fit = fitLine(d.win);
  d.pending = {
    expect: r.heater,
    atMs: nowMs,
    fromC: fit?.level ?? d.lastC ?? 0,
    fromSlope: fit?.slope ?? 0,
    peakSlope: fit?.slope ?? 0,
    deadlineMs: r.heater ? onDeadlineMs(cfg, d, nowMs) : nowMs + cfg.verifyMaxMs,
    byDevice: true,
    pulled: false,
    toggled: true,
  };
}

/**
 * A change of the heater flag that no press explains, counted: `flapChanges` of them within
 * `flapWindowMs`, or `flapSlowChanges` within `flapSlowWindowMs` (both sliding), is a kit whose
 * flag flaps (its firmware, its button, its wiring). Each is a press the engine must see answered
 * before it presses again, so it presses little or nothing while they go on; it must not press
 * more (a press toggles a heater whose state nobody knows), and the over-temperature and
 * food-safety rules still stand. A person hears of it once, as an alarm.
 */
function noteSelfPress(cfg: EngineConfig, d: EngineState, nowMs: number, out: ControlEvent[]): void {
  const keep = Math.max(cfg.flapChanges, cfg.flapSlowChanges);
  const times = [...(d.flap?.times ?? []), nowMs].slice(-keep);
  const within = (n: number, ms: number) => times.length >= n && nowMs - times[times.length - n]! <= ms;
  let alarmed = d.flap?.alarmed ?? false;
  if (!alarmed && (within(cfg.flapChanges, cfg.flapWindowMs) || within(cfg.flapSlowChanges, cfg.flapSlowWindowMs))) {
    const n = within(cfg.flapChanges, cfg.flapWindowMs) ? cfg.flapChanges : cfg.flapSlowChanges;
    out.push(event('kit_flapping', 'alarm', true, { changes: n, withinMs: nowMs - times[times.length - n]! }));
    alarmed = true;
  }
  d.flap = { times, alarmed };
}

/** No unexplained change for `flapSteadyMs`: a flapping flag is over (`kit_steady`); an old unalarmed count is forgotten. */
function flapEnds(cfg: EngineConfig, d: EngineState, nowMs: number, out: ControlEvent[]): void {
  const f = d.flap;
  if (f === null) return;
  const lastMs = f.times[f.times.length - 1] ?? nowMs;
  if (f.alarmed) {
    if (nowMs - lastMs < cfg.flapSteadyMs) return;
    out.push(event('kit_steady', 'info', true, { steadyMs: nowMs - lastMs }));
    d.flap = null;
    return;
  }
  if (nowMs - lastMs > cfg.flapSlowWindowMs) d.flap = null;
}

function lifecycle(cfg: EngineConfig, d: EngineState, fit: Fit, nowMs: number, out: ControlEvent[]): void {
  const c = d.cook;
  if (c === null) return;
  const target = c.spec.targetC;
  if (c.phase === 'heating' && Math.abs(fit.level - target) <= cfg.bandC) {
    d.cook = { ...c, phase: 'holding', reachedMs: nowMs };
    out.push(event('reached', 'info', false, { targetC: target, tempC: round2(fit.level), afterMs: nowMs - c.startedMs }));
    return;
  }
  if (c.phase === 'holding' && c.spec.durationMin !== undefined && c.reachedMs !== null) {
    if (nowMs - c.reachedMs >= c.spec.durationMin * 60_000) {
      d.cook = { ...c, phase: 'done', doneMs: nowMs };
      out.push(event('done', 'info', false, { targetC: target, durationMin: c.spec.durationMin, holding: cfg.holdAfterDone }));
    }
  }
}

function controlling(cfg: EngineConfig, d: EngineState): boolean {
  const p = d.cook?.phase;
  return p === 'heating' || p === 'holding' || (p === 'done' && cfg.holdAfterDone);
}

function decide(cfg: EngineConfig, d: EngineState, fit: Fit, nowMs: number, events: ControlEvent[], audit: AuditIntent[]): Decision {
  // Never press on top of an unconfirmed press: with a toggle, a second blind press could turn
  // a missed "on" into an unintended "on" later.
  if (d.pending !== null) return NO_DECISION;
  // Inhibited (the watchdog's fail-safe latch, a held resume): the heater must be off, and only
  // `safe` may say so (device-control.ts). A press is a toggle: if the inference is wrong, it
  // turns a heater that is off back on.
  if (d.inhibit !== null) return NO_DECISION;
  if (!controlling(cfg, d)) {
    if (!d.actual) return NO_DECISION;
    return press(cfg, d, fit, nowMs, false, 'heater must be off: no cook running', 'ramp', 0, events, audit);
  }
  const target = d.cook!.spec.targetC;
  const plan = planHeater(cfg, d, fit, nowMs, target);
  if (plan.want === d.actual) return NO_DECISION;
  if (plan.want && blindPause(cfg, d, nowMs, target)) return NO_DECISION;
  return press(cfg, d, fit, nowMs, plan.want, plan.reason, plan.mode, plan.plannedOnMs, events, audit);
}

/**
 * On-presses the probe may not see (ADR 056). Far below the target, `blindAfterMisses` on-presses
 * in a row judged missed are more likely a probe that cannot see the heater (slipped into the air
 * near room temperature, a cooker that does not heat) than a servo that missed them all, and
 * each press toggles the heater. So once the kit believes on and every press, had it taken, left
 * the heater on, the engine presses no more for `blindPauseMs`: the heater-stuck rule decides
 * meanwhile, and its `safe` switches the heater off under that same count. Near the target the
 * probe reads hot water, and the engine goes on pressing.
 */
function blindPause(cfg: EngineConfig, d: EngineState, nowMs: number, targetC: number): boolean {
  if (!d.ifAllTook || d.lastBelief === false) return false;
  if (d.lastC === null || d.lastC >= targetC - HEATER_STUCK_HOT_C) return false;
  if (d.health.consecutiveMisses < cfg.blindAfterMisses) return false;
  return d.lastPressMs !== null && nowMs - d.lastPressMs < cfg.blindPauseMs;
}

function press(
  cfg: EngineConfig,
  d: EngineState,
  fit: Fit,
  nowMs: number,
  on: boolean,
  reason: string,
  mode: 'ramp' | 'pulse',
  plannedOnMs: number,
  events: ControlEvent[],
  audit: AuditIntent[],
): Decision {
  const verdict = budgetFor(cfg, d.pressLog, d.lastPressMs, nowMs, on ? 1 : 0);
  if (verdict === 'dwell') return NO_DECISION;
  if (verdict === 'cap') {
    if (!d.flags.capWarned) {
      d.flags = { ...d.flags, capWarned: true };
      events.push(event('press_budget_exhausted', 'warning', false, { maxPressesPerHour: cfg.maxPressesPerHour }));
    }
    if (on) return NO_DECISION;
    // Out of presses and the heater must go off: `safe` is outside the budget (PROTOCOL).
    return safeNow(cfg, d, nowMs, `press budget exhausted; ${reason}`, audit);
  }
  d.flags = { ...d.flags, capWarned: false };
  // The counterfactual trend if the press misses. A 20 s slope is noisy, so it is bounded by what
  // the bath has taught: never steeper than its cooling (on) or its heating (off), which makes a
  // confirmation harder, never easier. A cooling rate the bath has not taught yet bounds nothing
  // tighter than the fastest a bath cools: the prior (an insulated 8 L bath's) made a small open
  // pot's on-presses look missed, and each false miss pressed a working heater off again.
  const raw = fit.spanS >= 15 ? fit.slope : 0;
  const coolBound = d.learn.coolSamples > 0 ? 1.5 * d.learn.coolCPerS : BATH_MAX_COOL_C_PER_S;
  const trend = on ? Math.max(raw, -Math.max(coolBound, 0.001)) : Math.min(raw, 1.2 * d.learn.heatCPerS);
  countPress(d);
  d.pending = {
    expect: on,
    atMs: nowMs,
    fromC: fit.level,
    fromSlope: trend,
    peakSlope: fit.slope,
    deadlineMs: on ? onDeadlineMs(cfg, d, nowMs) : nowMs + cfg.verifyMaxMs,
    byDevice: false,
    pulled: false,
    toggled: true,
  };
  d.lastPressMs = nowMs;
  d.pressLog = [...pruneLog(d.pressLog, nowMs), nowMs];
  d.health = { ...d.health, presses: d.health.presses + 1 };
  const target = d.cook?.spec.targetC ?? null;
  if (on) {
    pace(cfg, d, nowMs, mode);
    d.episode = {
      mode,
      onMs: nowMs,
      plannedOnMs,
      troughC: fit.level,
      troughMs: nowMs,
      offMs: null,
      offC: 0,
      offSlope: 0,
      peakC: fit.level,
      peakMs: nowMs,
      peakSeen: false,
    };
    if (mode === 'ramp' && target !== null && target - fit.level > 5)
      d.ramp = { pressMs: nowMs, fromC: fit.level, fromSlope: trend, n: 0, st: 0, sc: 0, stt: 0, stc: 0 };
  } else if (d.episode !== null) {
    if (d.episode.mode === 'pulse') d.pace = { ...d.pace, lastOnS: (nowMs - d.episode.onMs) / 1000 };
    d.episode = { ...d.episode, offMs: nowMs, offC: fit.level, offSlope: fit.slope, peakC: fit.level, peakMs: nowMs };
  }
  const expect = on ? 'on' : 'off';
  audit.push({ actor: 'engine', action: `press_${expect}`, reason, data: { expect, tempC: round2(fit.level), targetC: target, mode } });
  return { kind: 'press', expect, reason };
}

/**
 * Keep within the hourly cap by measurement, not only by model: if the last pulse cycle was
 * shorter than the budget's minimum cycle, the next pulses are longer in proportion.
 */
function pace(cfg: EngineConfig, d: EngineState, nowMs: number, mode: 'ramp' | 'pulse'): void {
  const { lastOnMs, lastOnS } = d.pace;
  let pacedOnS = d.pace.pacedOnS;
  if (mode === 'pulse' && lastOnMs !== null && lastOnS !== null) {
    const periodS = (nowMs - lastOnMs) / 1000;
    pacedOnS = Math.min(600, (lastOnS * minCycleS(cfg)) / Math.max(periodS, 1));
  }
  d.pace = { lastOnMs: mode === 'pulse' ? nowMs : null, lastOnS: null, pacedOnS: mode === 'pulse' ? pacedOnS : 0 };
}

/** A `safe` (make sure the heater is off): the kit presses only if it believes the heater on. */
function safeNow(cfg: EngineConfig, d: EngineState, nowMs: number, reason: string, audit: AuditIntent[]): Decision {
  applySafe(cfg, d, nowMs);
  audit.push({ actor: 'engine', action: 'safe', reason, data: { tempC: d.lastC } });
  return { kind: 'safe', reason };
}

/** A `safe`, or with `pressed` the fail-safe latch's correction press, which the kit presses whatever it believes. */
function applySafe(cfg: EngineConfig, d: EngineState, nowMs: number, pressed = false): void {
  if (!pressed && d.lastBelief === false && d.pending === null) return; // the kit will not press
  // The kit presses a `safe` if it believes the heater on: what our last press told it, or else
  // what it reported.
  const kitOn = d.pending !== null && !d.pending.byDevice ? d.pending.expect : d.lastBelief === true;
  const toggled = pressed || kitOn;
  if (toggled) countPress(d);
  const fit = fitLine(d.win);
  d.pending = {
    expect: false,
    atMs: nowMs,
    fromC: fit?.level ?? d.lastC ?? 0,
    fromSlope: fit?.slope ?? 0,
    peakSlope: fit?.slope ?? 0,
    deadlineMs: nowMs + cfg.verifyMaxMs,
    byDevice: false,
    pulled: false,
    toggled,
  };
  if (d.episode !== null && d.episode.offMs === null)
    d.episode = { ...d.episode, offMs: nowMs, offC: d.pending.fromC, offSlope: d.pending.fromSlope };
}

/** Start a cook (local API or cloud downlink); the next reading decides the first press. */
export function startCook(state: EngineState, spec: CookSpec, nowMs: number): EngineResult {
  const d = draft(state);
  d.cook = { spec, phase: 'heating', startedMs: nowMs, reachedMs: null, doneMs: null };
  d.episode = null;
  return done(d, NO_DECISION, [event('heating', 'info', false, { targetC: spec.targetC, durationMin: spec.durationMin ?? null })]);
}

/** A stored cook's phase and its times on control time (gateway restart: control-loop's resumeFrom). */
export interface ResumedCook {
  spec: CookSpec;
  phase?: 'heating' | 'holding' | 'done';
  startedMs?: number;
  reachedMs?: number | null;
  doneMs?: number | null;
}

/**
 * Take a cook up again after a gateway restart, in the phase it had: no lifecycle event (each was
 * told before the restart). Holding keeps its `reachedMs`, so the timer runs on from when the bath
 * reached the target; done keeps holding (with holdAfterDone) without a second `done`. A holding
 * cook without a reached time (its target changed since, or stored before the time was kept)
 * heats again, and `reached` is told when the bath gets there.
 */
export function resumeCook(state: EngineState, r: ResumedCook, nowMs: number): EngineState {
  const d = draft(state);
  const reachedMs = r.reachedMs ?? null;
  const startedMs = r.startedMs ?? nowMs;
  if (r.phase === 'done') {
    const doneMs = r.doneMs ?? nowMs;
    d.cook = { spec: r.spec, phase: 'done', startedMs, reachedMs: reachedMs ?? doneMs, doneMs };
  } else if (r.phase === 'holding' && reachedMs !== null) {
    d.cook = { spec: r.spec, phase: 'holding', startedMs, reachedMs, doneMs: null };
  } else {
    d.cook = { spec: r.spec, phase: 'heating', startedMs, reachedMs: null, doneMs: null };
  }
  d.episode = null;
  return d;
}

/** Change a running cook. A new target restarts `heating`/`reached` (and the timer with it). */
export function changeCook(state: EngineState, spec: CookSpec, nowMs: number): EngineResult {
  const c = state.cook;
  if (c === null || c.phase === 'stopped') return startCook(state, spec, nowMs);
  const d = draft(state);
  if (spec.targetC === c.spec.targetC) {
    d.cook = { ...c, spec };
    return done(d, NO_DECISION, []);
  }
  d.cook = { ...c, spec, phase: 'heating', reachedMs: null, doneMs: null };
  d.episode = d.episode === null ? null : { ...d.episode, mode: 'ramp' };
  return done(d, NO_DECISION, [event('heating', 'info', false, { targetC: spec.targetC, fromC: c.spec.targetC })]);
}

/** Stop: event `stopped`, and the heater off (a `safe` if the kit believes it is on). */
export function stopCook(state: EngineState, nowMs: number, cfg: EngineConfig = DEFAULT_ENGINE): EngineResult {
  const d = draft(state);
  const events = state.cook === null ? [] : [event('stopped', 'info', false, { targetC: state.cook.spec.targetC })];
  if (state.cook !== null) d.cook = { ...state.cook, phase: 'stopped' };
  const audit: AuditIntent[] = [];
  // A heater the kit believes off but the engine knows on is pressed off by the next step.
  const decision = d.lastBelief !== false ? safeNow(cfg, d, nowMs, 'cook stopped', audit) : NO_DECISION;
  return done(d, decision, events, audit);
}

/** The watchdog holds the heater off (reason) or releases it (null). */
export function setInhibit(state: EngineState, reason: string | null): EngineState {
  if (state.inhibit === reason) return state;
  const d = draft(state);
  d.inhibit = reason;
  return d;
}

/** The gateway sent a `safe` on someone else's behalf (watchdog): expect the heater to go off. */
export function noteSafe(state: EngineState, nowMs: number, cfg: EngineConfig = DEFAULT_ENGINE, pressed = false): EngineState {
  const d = draft(state);
  applySafe(cfg, d, nowMs, pressed);
  return d;
}

/**
 * The watchdog pressed the heater on for its water test (watchdog/water-test.ts) while the engine
 * is inhibited: a press of ours, not the kit's, so no drift is judged for a while; the test's own
 * `safe` (noteSafe) follows.
 */
export function noteTestPress(state: EngineState, nowMs: number): EngineState {
  const d = draft(state);
  countPress(d);
  // A press still waiting for its answer (the fault's own `safe`) can no longer be judged, and
  // the kit now believes on: the test's `safe` must count as the press it is (applySafe reads
  // the pending press, before the kit's last answer, for what the kit believes).
  d.pending = null;
  d.pressTest = null;
  d.lastPressMs = nowMs;
  d.driftSinceMs = null;
  return d;
}

/**
 * The bath showed the heater off (the water test's burst peaked and the water cools): the engine
 * takes that as confirmed, with no press pending and no drift being judged.
 */
export function noteHeaterOff(state: EngineState, nowMs: number): EngineState {
  const d = draft(state);
  d.actual = false;
  d.ifAllTook = false;
  if (d.countSinceFault !== null) d.countSinceFault = false;
  d.pending = null;
  d.pressTest = null;
  d.driftSinceMs = null;
  d.lastPressMs = nowMs;
  return d;
}

/**
 * A sensor fault has cleared: the readings from before it, and what the engine was making of them
 * (the slope window, the heating episode, the press test), describe a bath seen through a probe
 * the watchdog did not trust, or one that has changed since (cold water poured in). The engine
 * starts its window again; what it has learned of the bath stays.
 */
export function forgetReadings(state: EngineState): EngineState {
  const d = draft(state);
  d.hist = EMPTY_WINDOW;
  d.win = EMPTY_WINDOW;
  d.episode = null;
  d.pressTest = null;
  d.driftSinceMs = null;
  return d;
}

/** The watchdog saw the probe leave the water (a `fall` fault): the press count goes on from here unanchored. */
export function markFault(state: EngineState): EngineState {
  const d = draft(state);
  d.countSinceFault = d.ifAllTook;
  return d;
}

/** The command never reached the kit (ack timeout after retries, refused, TTL): no press happened. */
export function commandFailed(state: EngineState): EngineState {
  if (state.pending === null || state.pending.byDevice) return state;
  const d = draft(state);
  if (state.pending.toggled) countPress(d);
  d.pending = null;
  return d;
}

function round2(v: number): number {
  return Number(fmt(v));
}
