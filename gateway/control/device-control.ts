import type { CookSpec } from '../../shared/cook.js';
import { DEFAULT_ENGINE, DEFAULT_WATCHDOG, type EngineConfig, type WatchdogConfig } from './config.js';
import {
  changeCook,
  commandFailed,
  type EngineState,
  initialEngineState,
  notePress,
  noteSafe,
  setInhibit,
  startCook,
  step,
  stopCook,
} from './engine/index.js';
import { type Decision, event, NO_DECISION, type Reading, type StepResult } from './types.js';
import {
  checkCookSpec,
  initialWatchdogState,
  resumeCheck,
  type WatchdogState,
  watchCookStart,
  watchdogInhibit,
  watchStatus,
  watchTelemetry,
  watchTick,
} from './watchdog/index.js';

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
}

export type ControlInput =
  | { kind: 'telemetry'; reading: Reading }
  | { kind: 'status'; online: boolean }
  | { kind: 'tick' }
  | { kind: 'cook_start'; spec: CookSpec }
  | { kind: 'cook_change'; spec: CookSpec }
  | { kind: 'cook_stop' }
  /** After a gateway restart: the stored cook and the last stored reading, then the first new one. */
  | { kind: 'cook_resume'; spec: CookSpec; lastC: number | null; lastMs: number | null; nowC: number }
  /** An operator confirmed (or a new cook replaced) a held resume. */
  | { kind: 'resume_confirm' }
  /** The command path gave up on the last command (ack timeout after retries, refusal, TTL). */
  | { kind: 'command_failed' };

export interface ControlConfig {
  engine: EngineConfig;
  watchdog: WatchdogConfig;
}

export const DEFAULT_CONTROL: ControlConfig = Object.freeze({ engine: DEFAULT_ENGINE, watchdog: DEFAULT_WATCHDOG });

export type ControlResult = StepResult<DeviceControlState> & { rejected?: string };

export function initialControlState(cfg: ControlConfig = DEFAULT_CONTROL): DeviceControlState {
  return { engine: initialEngineState(cfg.engine), watchdog: initialWatchdogState(), commandedOn: false, resumeHold: null };
}

export function controlStep(
  state: DeviceControlState,
  input: ControlInput,
  nowMs: number,
  cfg: ControlConfig = DEFAULT_CONTROL,
): ControlResult {
  switch (input.kind) {
    case 'telemetry':
      return onTelemetry(state, input.reading, nowMs, cfg);
    case 'status':
      return fromWatchdog(state, watchStatus(state.watchdog, input.online, nowMs), nowMs, cfg);
    case 'tick':
      return fromWatchdog(state, watchTick(state.watchdog, nowMs, cfg.watchdog), nowMs, cfg);
    case 'cook_start': {
      const check = checkCookSpec(input.spec, cfg.watchdog);
      if (!check.ok) return { state, decision: NO_DECISION, events: [], audit: [], rejected: check.reason };
      const r = startCook(state.engine, input.spec, nowMs);
      const next = { ...state, engine: r.state, watchdog: watchCookStart(state.watchdog), resumeHold: null };
      return { state: withInhibit(next), decision: r.decision, events: r.events, audit: [...check.audit, ...r.audit] };
    }
    case 'cook_change': {
      const check = checkCookSpec(input.spec, cfg.watchdog);
      if (!check.ok) return { state, decision: NO_DECISION, events: [], audit: [], rejected: check.reason };
      const r = changeCook(state.engine, input.spec, nowMs);
      return { state: { ...state, engine: r.state }, decision: r.decision, events: r.events, audit: [...check.audit, ...r.audit] };
    }
    case 'cook_stop': {
      const r = stopCook(state.engine, nowMs, cfg.engine);
      return finish({ ...state, engine: r.state, resumeHold: null }, r.decision, r.events, r.audit);
    }
    case 'cook_resume': {
      const v = resumeCheck(input, nowMs, cfg.watchdog);
      const started = startCook(state.engine, input.spec, nowMs).state;
      const wd = { ...state.watchdog, dangerMs: state.watchdog.dangerMs + v.downDangerMs };
      let next: DeviceControlState = {
        ...state,
        engine: started,
        watchdog: wd,
        resumeHold: v.resume ? null : 'resume held: bath fell below 54.4 °C',
      };
      next = withInhibit(next);
      if (v.decision.kind === 'safe') next = { ...next, engine: noteSafe(next.engine, nowMs, cfg.engine) };
      return finish(next, v.decision, v.events, v.audit);
    }
    case 'resume_confirm':
      return { state: withInhibit({ ...state, resumeHold: null }), decision: NO_DECISION, events: [], audit: [] };
    case 'command_failed':
      return { state: { ...state, engine: commandFailed(state.engine) }, decision: NO_DECISION, events: [], audit: [] };
  }
}

function onTelemetry(state: DeviceControlState, reading: Reading, nowMs: number, cfg: ControlConfig): ControlResult {
  const cook = state.engine.cook;
  const active = cook !== null && cook.phase !== 'stopped';
  const w = watchTelemetry(
    state.watchdog,
    reading,
    { cook: active ? cook.spec : null, heaterCommandedOn: state.commandedOn },
    nowMs,
    cfg.watchdog,
  );
  const next = withInhibit({ ...state, watchdog: w.state });
  if (w.decision.kind === 'safe') return failSafe(next, w, nowMs, cfg);
  const e = step(next.engine, reading, nowMs, cfg.engine);
  return finish({ ...next, engine: e.state }, e.decision, [...w.events, ...e.events], [...w.audit, ...e.audit]);
}

/**
 * The watchdog's `safe` wins the reading. `safe` only presses when the kit believes the heater on,
 * so two cases need more: the engine knows the kit is wrong (a detected missed off-press) → press
 * off instead; or a press is still unconfirmed when the probe is lost → nobody knows the heater
 * state, and a blind toggle is wrong whenever the press had worked: raise a critical alarm.
 */
function failSafe(state: DeviceControlState, w: StepResult<WatchdogState>, nowMs: number, cfg: ControlConfig): ControlResult {
  const eng = state.engine;
  const events = [...w.events];
  const audit = [...w.audit];
  const reason = w.decision.kind === 'safe' ? w.decision.reason : 'fail-safe';
  if (eng.pending !== null) {
    const data = { pending: eng.pending.expect ? 'on' : 'off', unconfirmedForMs: nowMs - eng.pending.atMs };
    events.push(event('heater_state_unknown', 'critical', true, data));
    audit.push({ actor: 'watchdog', action: 'alarm', reason: `${reason}; a press was unconfirmed: heater state unknown`, data });
  } else if (eng.actual && eng.lastBelief === false) {
    const dwellOk = eng.lastPressMs === null || nowMs - eng.lastPressMs >= cfg.engine.minDwellMs;
    if (dwellOk) {
      const why = `${reason}; the kit believes the heater off but it is on`;
      audit.push({ actor: 'watchdog', action: 'press_off', reason: why, data: {} });
      return finish(
        { ...state, engine: notePress(eng, false, nowMs, cfg.engine) },
        { kind: 'press', expect: 'off', reason: why },
        events,
        audit,
      );
    }
  }
  return finish({ ...state, engine: noteSafe(eng, nowMs, cfg.engine) }, w.decision, events, audit);
}

function fromWatchdog(state: DeviceControlState, w: StepResult<WatchdogState>, nowMs: number, cfg: ControlConfig): ControlResult {
  let next = withInhibit({ ...state, watchdog: w.state });
  if (w.decision.kind === 'safe') next = { ...next, engine: noteSafe(next.engine, nowMs, cfg.engine) };
  return finish(next, w.decision, w.events, w.audit);
}

function withInhibit(s: DeviceControlState): DeviceControlState {
  const reason = watchdogInhibit(s.watchdog) ?? s.resumeHold;
  return { ...s, engine: setInhibit(s.engine, reason) };
}

function finish(s: DeviceControlState, decision: Decision, events: ControlResult['events'], audit: ControlResult['audit']): ControlResult {
  const commandedOn = decision.kind === 'press' ? decision.expect === 'on' : decision.kind === 'safe' ? false : s.commandedOn;
  return { state: { ...s, commandedOn }, decision, events, audit };
}
