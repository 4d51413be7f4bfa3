import type { CookSpec } from '../../shared/cook.js';
import { DEFAULT_ENGINE, DEFAULT_WATCHDOG, type EngineConfig, type WatchdogConfig } from './config.js';
import {
  changeCook,
  commandFailed,
  type EngineState,
  forgetReadings,
  initialEngineState,
  markFault,
  noteHeaterOff,
  noteSafe,
  noteTestPress,
  type ResumedCook,
  resumeCook,
  setInhibit,
  startCook,
  step,
  stopCook,
} from './engine/index.js';
import { type FailSafeLatch, latchAnswered, latchBlind, latchReading, openLatch } from './failsafe-latch.js';
import { type AuditIntent, type ControlEvent, type Decision, event, NO_DECISION, type Reading, type StepResult } from './types.js';
import {
  type CookField,
  checkCookSpec,
  initialWatchdogState,
  resumeCheck,
  retryOnCookChange,
  type WatchdogState,
  watchCookStart,
  watchdogInhibit,
  watchStatus,
  watchTelemetry,
  watchTick,
} from './watchdog/index.js';
import { burstJustEnded, burstStarts, passedPeaked } from './watchdog/water-test.js';

/**
 * One device's control: the engine and the watchdog composed, and the single entry point the
 * gateway calls: controlStep(state, input, now) → { state, decision, events, audit }.
 * The watchdog goes first and wins: when it decides `safe`, the engine is told (noteSafe) and
 * inhibited until the watchdog releases the heater.
 */
export interface DeviceControlState {
  engine: EngineState;
  watchdog: WatchdogState;
  /** The gateway's last command: true after a press expecting on, false after off or safe. */
  commandedOn: boolean;
  /** Set when a resumed cook needs an operator's decision (the bath fell below 54.4 °C). */
  resumeHold: string | null;
  /** The watchdog's fail-safe latch: while set, nothing but `safe` is sent (failsafe-latch.ts). */
  latch: FailSafeLatch | null;
}

export type ControlInput =
  | { kind: 'telemetry'; reading: Reading }
  | { kind: 'status'; online: boolean }
  | { kind: 'tick' }
  | { kind: 'cook_start'; spec: CookSpec }
  | { kind: 'cook_change'; spec: CookSpec }
  | { kind: 'cook_stop' }
  /**
   * After a gateway restart: the stored cook (its phase and times on control time: engine's
   * resumeCook) and the last stored reading, then the first new one.
   */
  | ({ kind: 'cook_resume'; lastC: number | null; lastMs: number | null; nowC: number } & ResumedCook)
  /** An operator confirmed (or a new cook replaced) a held resume. */
  | { kind: 'resume_confirm' }
  /** The command path gave up on the last command (ack timeout after retries, refusal, TTL). */
  | { kind: 'command_failed' }
  /** The kit acknowledged one of our commands; `heater` is what it now believes; `err` of a refusal. */
  | { kind: 'ack'; op: 'press' | 'safe'; expect?: 'on' | 'off'; ok: boolean; heater: boolean; err?: string };

export interface ControlConfig {
  engine: EngineConfig;
  watchdog: WatchdogConfig;
}

export const DEFAULT_CONTROL: ControlConfig = Object.freeze({ engine: DEFAULT_ENGINE, watchdog: DEFAULT_WATCHDOG });

/** `rejected`: a cook the rules refuse (cook-rules.ts), with the field it is about; nothing changed. */
export type ControlResult = StepResult<DeviceControlState> & { rejected?: { field: CookField; reason: string } };

export function initialControlState(cfg: ControlConfig = DEFAULT_CONTROL): DeviceControlState {
  return { engine: initialEngineState(cfg.engine), watchdog: initialWatchdogState(), commandedOn: false, resumeHold: null, latch: null };
}

export function controlStep(
  state: DeviceControlState,
  input: ControlInput,
  nowMs: number,
  cfg: ControlConfig = DEFAULT_CONTROL,
): ControlResult {
  return releaseLatch(dispatch(state, input, nowMs, cfg), nowMs);
}

function dispatch(state: DeviceControlState, input: ControlInput, nowMs: number, cfg: ControlConfig): ControlResult {
  switch (input.kind) {
    case 'telemetry':
      return onTelemetry(state, input.reading, nowMs, cfg);
    case 'status':
      return fromWatchdog(state, watchStatus(state.watchdog, input.online, nowMs), nowMs, cfg);
    case 'tick':
      return fromWatchdog(state, watchTick(state.watchdog, nowMs, cfg.watchdog), nowMs, cfg);
    case 'cook_start': {
      const check = checkCookSpec(input.spec, cfg.watchdog);
      if (!check.ok) return { state, decision: NO_DECISION, events: [], audit: [], rejected: { field: check.field, reason: check.reason } };
      const r = startCook(state.engine, input.spec, nowMs);
      const g = letGo(state.watchdog, watchCookStart(state.watchdog, nowMs, cfg.watchdog), r.state);
      const next = { ...state, engine: g.engine, watchdog: g.watchdog, resumeHold: null };
      return {
        state: withInhibit(next),
        decision: r.decision,
        events: [...r.events, ...g.events],
        audit: [...check.audit, ...r.audit, ...g.audit],
      };
    }
    case 'cook_change': {
      const check = checkCookSpec(input.spec, cfg.watchdog);
      if (!check.ok) return { state, decision: NO_DECISION, events: [], audit: [], rejected: { field: check.field, reason: check.reason } };
      const r = changeCook(state.engine, input.spec, nowMs);
      // A changed cook is the operator's word that a held-off heater may be tried again.
      const g = letGo(state.watchdog, retryOnCookChange(state.watchdog, nowMs, cfg.watchdog), r.state);
      // A resumed cook held for breaking the gateway's rules is let go by a change the rules accept
      // (a hold for a bath that fell below 54.4 °C waits for a person's confirmation, as before).
      const old = state.engine.cook;
      const resumeHold = old !== null && state.resumeHold === brokenRule(old.spec, cfg) ? null : state.resumeHold;
      const next = { ...state, engine: g.engine, watchdog: g.watchdog, resumeHold };
      return {
        state: withInhibit(next),
        decision: r.decision,
        events: [...r.events, ...g.events],
        audit: [...check.audit, ...r.audit, ...g.audit],
      };
    }
    case 'cook_stop': {
      const r = stopCook(state.engine, nowMs, cfg.engine);
      const g = letGo(state.watchdog, retryOnCookChange(state.watchdog, nowMs, cfg.watchdog), r.state);
      return finish(
        { ...state, engine: g.engine, watchdog: g.watchdog, resumeHold: null },
        r.decision,
        [...r.events, ...g.events],
        [...r.audit, ...g.audit],
      );
    }
    case 'cook_resume': {
      const v = resumeCheck(input, nowMs, cfg.watchdog);
      const started = resumeCook(state.engine, input, nowMs);
      const wd = { ...state.watchdog, dangerMs: state.watchdog.dangerMs + v.downDangerMs };
      // The gateway's rules may have changed while it was down (a lower control.maxC): a stored cook
      // they refuse is not taken up again. It is held with the heater off until it is changed.
      const refused = brokenRule(input.spec, cfg);
      let next: DeviceControlState = {
        ...state,
        engine: started,
        watchdog: wd,
        // Both may hold: the fall's hold comes first, as it needs a person's word on the food.
        resumeHold: v.resume ? refused : 'resume held: bath fell below 54.4 °C',
      };
      next = withInhibit(next);
      let decision = v.decision;
      const events = [...v.events];
      const audit = [...v.audit];
      if (refused !== null) {
        const data = { targetC: input.spec.targetC, reason: refused };
        events.push(event('resume_refused', 'alarm', true, data));
        audit.push({ actor: 'watchdog', action: 'safe', reason: refused, data });
        if (decision.kind !== 'safe') decision = { kind: 'safe', reason: refused };
      }
      if (decision.kind === 'safe') next = { ...next, engine: noteSafe(next.engine, nowMs, cfg.engine) };
      return finish(next, decision, events, audit);
    }
    case 'resume_confirm': {
      // A person vouched for the food; a cook this gateway's rules refuse stays held all the same:
      // only a changed cook lets it go.
      const cook = state.engine.cook;
      const refused = cook === null ? null : brokenRule(cook.spec, cfg);
      return { state: withInhibit({ ...state, resumeHold: refused }), decision: NO_DECISION, events: [], audit: [] };
    }
    case 'command_failed':
      return { state: { ...state, engine: commandFailed(state.engine) }, decision: NO_DECISION, events: [], audit: [] };
    case 'ack':
      return onAck(state, input, nowMs, cfg);
  }
}

/**
 * An Ack is evidence: the kit's belief follows it. One that contradicts what the command asked
 * for (a `press` whose `heater` is not its `expect`, a `safe` answered with heater on) is
 * recorded; on a safety path (the latch, an off-press, a `safe`) it escalates to `safe` and an
 * alarm. A contradicting answer to a `safe` is not answered at once with another `safe` (that
 * would loop with a kit that always says on): the latch repeats it with its backoff.
 */
function onAck(state: DeviceControlState, a: Extract<ControlInput, { kind: 'ack' }>, nowMs: number, cfg: ControlConfig): ControlResult {
  if (!a.ok) return a.err === IN_DOUBT ? onInDoubt(state, a) : { state, decision: NO_DECISION, events: [], audit: [] };
  let next: DeviceControlState = { ...state, engine: { ...state.engine, lastBelief: a.heater } };
  // The kit executes commands again: a later doubt (another reset mid-press) is told again.
  if (next.engine.flags.doubtAlarmed) next = { ...next, engine: { ...next.engine, flags: { ...next.engine.flags, doubtAlarmed: false } } };
  const contradicts = a.op === 'press' ? a.heater !== (a.expect === 'on') : a.heater;
  if (a.op === 'safe' && next.latch !== null) next = { ...next, latch: latchAnswered(next.latch, nowMs, a.heater) };
  if (!contradicts) return { state: next, decision: NO_DECISION, events: [], audit: [] };
  const safetyPath = next.latch !== null || a.op === 'safe' || a.expect === 'off' || next.engine.inhibit !== null;
  const data = { op: a.op, expect: a.expect ?? 'off', heater: a.heater ? 'on' : 'off' };
  const e = event('ack_contradicts', safetyPath ? 'alarm' : 'warning', true, data);
  const what = `the kit acknowledged ${a.op}${a.expect ? ` ${a.expect}` : ''} with heater ${data.heater}`;
  if (!safetyPath || a.op === 'safe') {
    return { state: next, decision: NO_DECISION, events: [e], audit: [{ actor: 'watchdog', action: 'alarm', reason: what, data }] };
  }
  const reason = `${what}: the heater must be off`;
  const audit: AuditIntent[] = [{ actor: 'watchdog', action: 'safe', reason, data }];
  next = { ...next, engine: noteSafe(next.engine, nowMs, cfg.engine) };
  if (next.latch !== null) next = { ...next, latch: openLatch(next.latch, next.latch.reason, nowMs) };
  return finish(next, { kind: 'safe', reason }, [e], audit);
}

/** The kit's refusal of a command while it does not know its heater state (docs/protocol.md). */
export const IN_DOUBT = 'in-doubt';

/**
 * `in-doubt` (ADR 086, 088): the kit restarted while its servo was pressing the button, and does
 * not know whether that press took. It is not answered with a press: the button is a toggle, and a
 * blind press may switch a heater that is off on. The kit settles the doubt from its bath within
 * 3 min; meanwhile a person is asked to check the cooker: `kit_in_doubt`, an alarm, once until
 * the kit acks a command `ok` again. The command itself ends as refused (`command_failed`).
 */
function onInDoubt(state: DeviceControlState, a: Extract<ControlInput, { kind: 'ack' }>): ControlResult {
  if (state.engine.flags.doubtAlarmed) return { state, decision: NO_DECISION, events: [], audit: [] };
  const data = { op: a.op, heater: a.heater ? 'on' : 'off' };
  const next = { ...state, engine: { ...state.engine, flags: { ...state.engine.flags, doubtAlarmed: true } } };
  const reason = `the kit answered ${a.op} in-doubt: it restarted during a press and does not know whether the heater is on`;
  return {
    state: next,
    decision: NO_DECISION,
    events: [event('kit_in_doubt', 'alarm', true, data)],
    audit: [{ actor: 'watchdog', action: 'alarm', reason, data }],
  };
}

/** The latch holds while its cause does (the watchdog's inhibit); then normal control resumes. */
function releaseLatch(r: ControlResult, nowMs: number): ControlResult {
  const s = r.state;
  if (s.latch === null || watchdogInhibit(s.watchdog) !== null) return r;
  const data = { reason: s.latch.reason, heldMs: nowMs - s.latch.sinceMs, safes: s.latch.safes };
  return {
    ...r,
    state: { ...s, latch: null },
    events: [...r.events, event('fail_safe_released', 'info', true, data)],
    audit: [...r.audit, { actor: 'watchdog', action: 'release_fail_safe', reason: `cleared: ${s.latch.reason}`, data }],
  };
}

function onTelemetry(state: DeviceControlState, reading: Reading, nowMs: number, cfg: ControlConfig): ControlResult {
  const cook = state.engine.cook;
  const active = cook !== null && cook.phase !== 'stopped';
  const w = watchTelemetry(
    state.watchdog,
    reading,
    {
      cook: active ? cook.spec : null,
      heaterCommandedOn: state.commandedOn,
      heatCPerS: learnedHeatCPerS(state.engine),
      reached: active && cook.reachedMs !== null,
      pulled: state.engine.pulled,
      heaterIfAllTook: state.engine.ifAllTook,
      kitBelief: state.engine.lastBelief,
      countSinceFault: state.engine.countSinceFault,
      pressMisses: state.engine.health.consecutiveMisses,
    },
    nowMs,
    cfg.watchdog,
  );
  let engine = setInhibit(state.engine, inhibitOf(w.state, state.resumeHold));
  const faulted = w.state.sensorFault !== null;
  if (!faulted && state.watchdog.sensorFault !== null) engine = forgetReadings(engine);
  // The probe left the water: from here on the bath cannot confirm presses, so count them.
  if (w.state.sensorFault === 'fall' && state.watchdog.sensorFault !== 'fall') engine = markFault(engine);
  // The water test passed on a bath that peaked and falls: the heater is off, whatever the engine
  // made of the test's `safe` while the burst's heat was still arriving.
  if (passedPeaked(w.events)) engine = noteHeaterOff(engine, nowMs);
  if (w.decision.kind === 'safe') return failSafe({ ...state, watchdog: w.state, engine }, w, nowMs, cfg);
  if (w.decision.kind === 'press' && burstStarts(w.state, nowMs)) {
    // The water test's burst: the watchdog's own press, with the engine held off (it would judge
    // the press on a probe in the air and press again). The latch pauses for the burst; its
    // `safe` at the end opens it again.
    const next = { ...state, watchdog: w.state, engine: noteTestPress(engine, nowMs), latch: null };
    return finish(next, w.decision, w.events, w.audit);
  }
  // While the watchdog holds a sensor fault, the engine gets no temperature: it neither learns
  // from a probe in the air (a cooling rate twenty times the bath's) nor judges presses on it.
  const e = step(engine, faulted ? untrusted(reading) : reading, nowMs, cfg.engine);
  const events = joined(w.events, e.events);
  const audit = joined(w.audit, e.audit);
  if (state.latch === null) {
    // The usual reading: the next state is built once, not copied at every stage.
    const commandedOn = commandedAfter(e.decision, state.commandedOn);
    const next: DeviceControlState = { engine: e.state, watchdog: w.state, commandedOn, resumeHold: state.resumeHold, latch: null };
    return { state: next, decision: e.decision, events, audit };
  }
  const next = { ...state, watchdog: w.state, engine: e.state };
  if (reading.sensor !== 'ok' || reading.tempC === null) return finish(next, NO_DECISION, events, audit);
  // Latched: the engine is inhibited and never presses; only the latch may repeat `safe`, or send
  // its correction press when the bath shows the kit's belief is wrong.
  const overLimit = w.state.overTemp && w.state.sensorFault === null && !w.state.stuckHeld;
  const l = latchReading(state.latch, e.state, nowMs, cfg.engine, overLimit);
  const latchedEngine = l.decision.kind === 'none' ? e.state : noteSafe(e.state, nowMs, cfg.engine, l.decision.kind === 'press');
  return finish({ ...next, engine: latchedEngine, latch: l.latch }, l.decision, [...events, ...l.events], [...audit, ...l.audit]);
}

/**
 * The bath's heating rate with the element on (°C/s, net of its losses), as the heat-up ramp
 * showed it; null before the engine has seen one. Net, not the element's full rate: a slower rate
 * makes a longer water-test burst, never one too short to show.
 */
function learnedHeatCPerS(e: EngineState): number | null {
  const L = e.learn;
  if (L.rampHeatSamples > 0) return L.rampHeatCPerS;
  if (L.heatSamples > 0) return L.heatCPerS;
  return null;
}

/**
 * A cook started, changed or stopped let a `fall` fault go (retryOnCookChange): its alarm is
 * cleared like any other (`sensor_ok`, `by: cook_change`), and the engine starts its window again
 * from the readings to come.
 */
function letGo(
  before: WatchdogState,
  after: WatchdogState,
  engine: EngineState,
): { watchdog: WatchdogState; engine: EngineState; events: ControlEvent[]; audit: AuditIntent[] } {
  if (before.sensorFault === null || after.sensorFault !== null) return { watchdog: after, engine, events: [], audit: [] };
  const data = { was: before.sensorFault, by: 'cook_change' };
  return {
    watchdog: after,
    engine: forgetReadings(engine),
    events: [event('sensor_ok', 'info', true, data)],
    audit: [{ actor: 'watchdog', action: 'clear_sensor_fault', reason: 'the cook was started, changed or stopped', data }],
  };
}

/** How a hold for a stored cook that breaks the gateway's rules begins (the alarm it shows: `resume_refused`). */
export const RULE_HOLD = "resume held: the cook breaks this gateway's rules";

/** Why a stored cook may not run on this gateway as it is configured now, or null. */
function brokenRule(spec: CookSpec, cfg: ControlConfig): string | null {
  const check = checkCookSpec(spec, cfg.watchdog);
  return check.ok ? null : `${RULE_HOLD} (${check.field}: ${check.reason})`;
}

/** A reading whose temperature the watchdog does not trust: the kit's belief and boot, no value. */
function untrusted(r: Reading): Reading {
  return { tempC: null, sensor: r.sensor, heater: r.heater, boot: r.boot };
}

/** Both lists in order; one of them as it is when the other is empty (results are never added to). */
function joined<T>(a: T[], b: T[]): T[] {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  return [...a, ...b];
}

/**
 * The watchdog's `safe` wins the reading and closes the latch. `safe` only presses when the kit
 * believes the heater on; the gateway never adds a press of its own here, even when it infers the
 * heater on while the kit believes it off (a toggle on a wrong inference turns a heater that is
 * off back on). Those cases, and a press still unconfirmed, leave the heater's state unknown: a
 * critical alarm, and the latch watches the bath.
 */
function failSafe(state: DeviceControlState, w: StepResult<WatchdogState>, nowMs: number, cfg: ControlConfig): ControlResult {
  const eng = state.engine;
  const events: ControlEvent[] = [...w.events];
  const audit: AuditIntent[] = [...w.audit];
  const reason = w.decision.kind === 'safe' ? w.decision.reason : 'fail-safe';
  // The end of the water test's burst is planned, not a fault: whether the heater is on is what
  // the test's watch answers (water-test.ts).
  const unknown = burstJustEnded(w.state, nowMs)
    ? null
    : eng.pending !== null
      ? { why: 'a press was unconfirmed', data: { pending: eng.pending.expect ? 'on' : 'off', unconfirmedForMs: nowMs - eng.pending.atMs } }
      : eng.actual && eng.lastBelief === false
        ? { why: 'the kit believes the heater off but the bath says on', data: { believed: 'off', inferred: 'on' } }
        : null;
  if (unknown !== null) {
    events.push(event('heater_state_unknown', 'critical', true, unknown.data));
    audit.push({ actor: 'watchdog', action: 'alarm', reason: `${reason}; ${unknown.why}: heater state unknown`, data: unknown.data });
  }
  const next = { ...state, engine: noteSafe(eng, nowMs, cfg.engine), latch: openLatch(state.latch, reason, nowMs) };
  return finish(next, w.decision, events, audit);
}

function fromWatchdog(state: DeviceControlState, w: StepResult<WatchdogState>, nowMs: number, cfg: ControlConfig): ControlResult {
  // Nothing happened (the usual tick: the kit reported a moment ago): the state is returned as it
  // was. A copy per device per second would outlive the young generation and be promoted only to
  // die, which at 10,000 kits is garbage the old generation has to collect.
  // Latched on a probe that cannot be read: the latch repeats its `safe` on the kit's word.
  if (state.latch !== null && w.decision.kind === 'none' && w.state.sensorFault !== null) {
    const b = latchBlind(state.latch, state.engine.lastBelief === true, nowMs);
    if (b.decision.kind !== 'none') {
      const next = withInhibit({ ...state, watchdog: w.state, latch: b.latch, engine: noteSafe(state.engine, nowMs, cfg.engine, true) });
      return finish(next, b.decision, [...w.events, ...b.events], [...w.audit, ...b.audit]);
    }
  }
  const quiet = w.state === state.watchdog && w.decision.kind === 'none' && w.events.length === 0 && w.audit.length === 0;
  if (quiet && state.engine.inhibit === inhibitReason(state)) return { state, decision: NO_DECISION, events: w.events, audit: w.audit };
  const next = withInhibit({ ...state, watchdog: w.state });
  if (w.decision.kind === 'safe') return failSafe(next, w, nowMs, cfg);
  return finish(next, w.decision, w.events, w.audit);
}

function inhibitReason(s: DeviceControlState): string | null {
  return inhibitOf(s.watchdog, s.resumeHold);
}

/** Why the engine must hold the heater off: the watchdog's reason, else a held resume. */
function inhibitOf(watchdog: WatchdogState, resumeHold: string | null): string | null {
  return watchdogInhibit(watchdog) ?? resumeHold;
}

function withInhibit(s: DeviceControlState): DeviceControlState {
  return { ...s, engine: setInhibit(s.engine, inhibitReason(s)) };
}

function finish(s: DeviceControlState, decision: Decision, events: ControlResult['events'], audit: ControlResult['audit']): ControlResult {
  return { state: { ...s, commandedOn: commandedAfter(decision, s.commandedOn) }, decision, events, audit };
}

/** The gateway's last command after this decision: on after a press expecting on, off after off or safe. */
function commandedAfter(decision: Decision, before: boolean): boolean {
  return decision.kind === 'press' ? decision.expect === 'on' : decision.kind === 'safe' ? false : before;
}
