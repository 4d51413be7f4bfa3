import type { CookSpec } from '../../../shared/cook.js';
import { DEFAULT_WATCHDOG, type WatchdogConfig } from '../config.js';
import { type AuditIntent, type ControlEvent, type Decision, event, NO_DECISION, type Reading, type StepResult } from '../types.js';
import { classifyReading } from './sensor.js';
import type { WatchdogState } from './state.js';

/**
 * The watchdog: pure rules over one device's messages and a clock the caller passes in (tests
 * use a fake one). Each rule yields an event, an audit intent and, where the heater must go off,
 * a `safe` decision. Figures are in config.ts (DEFAULT_WATCHDOG).
 */
export interface WatchdogContext {
  /** The running cook, or null (over-temperature then uses the absolute limit only). */
  cook: Pick<CookSpec, 'targetC' | 'lowTempOverride'> | null;
  /** The gateway's last command: heater on (a press expecting on). */
  heaterCommandedOn: boolean;
}

export type WatchdogResult = StepResult<WatchdogState>;

class Out {
  events: ControlEvent[] = [];
  audit: AuditIntent[] = [];
  decision: Decision = NO_DECISION;
  emit(e: ControlEvent, action: string, reason: string, safe: boolean): void {
    this.events.push(e);
    this.audit.push({ actor: 'watchdog', action, reason, data: { event: e.type, ...e.data } });
    if (safe) this.decision = { kind: 'safe', reason };
  }
  result(state: WatchdogState): WatchdogResult {
    return { state, decision: this.decision, events: this.events, audit: this.audit };
  }
}

/** One telemetry message. */
export function watchTelemetry(
  state: WatchdogState,
  r: Reading,
  ctx: WatchdogContext,
  nowMs: number,
  cfg: WatchdogConfig = DEFAULT_WATCHDOG,
): WatchdogResult {
  const out = new Out();
  let s: WatchdogState = { ...state };
  if (s.online === false) out.emit(event('online', 'info', false, { via: 'telemetry' }), 'mark_online', 'telemetry received', false);
  s.online = true;
  s = heaterTracking(s, ctx, r, nowMs);
  const { verdict, next } = classifyReading(cfg, s, r, nowMs, s.heaterOnSinceMs, ctx.cook !== null);
  s = { ...s, ...next, lastRxMs: nowMs };
  if (!verdict.ok) {
    s.bad++;
    s.good = 0;
    if (s.bad >= cfg.badReadingsToTrip && s.sensorFault === null) {
      s.sensorFault = verdict.kind;
      // The watchdog rule: heater off within 5 s of the third bad reading; decided on that reading.
      out.emit(
        event('sensor_fault', 'alarm', true, { kind: verdict.kind, badReadings: s.bad }),
        'safe',
        `sensor fault: ${verdict.kind} × ${s.bad}`,
        true,
      );
    }
    return out.result(s);
  }
  s.bad = 0;
  if (s.sensorFault !== null) {
    s.good++;
    if (s.good < cfg.goodReadingsToClear) return out.result(s);
    out.emit(event('sensor_ok', 'info', true, { was: s.sensorFault }), 'clear_sensor_fault', `${s.good} good readings`, false);
    s.sensorFault = null;
    s.good = 0;
  }
  const c = r.tempC!;
  s = overTemp(cfg, s, c, ctx, out);
  s = heaterStuck(cfg, s, c, nowMs, out);
  s = foodSafety(cfg, s, c, ctx, nowMs, out);
  return out.result(s);
}

function heaterTracking(s: WatchdogState, ctx: WatchdogContext, r: Reading, nowMs: number): WatchdogState {
  if (!ctx.heaterCommandedOn)
    return s.heaterOnSinceMs === null ? s : { ...s, heaterOnSinceMs: null, heaterOnStartC: null, heaterMaxC: null, stuckAlarmed: false };
  if (s.heaterOnSinceMs !== null) return s;
  return { ...s, heaterOnSinceMs: nowMs, heaterOnStartC: r.tempC, heaterMaxC: r.tempC };
}

function overTemp(cfg: WatchdogConfig, s: WatchdogState, c: number, ctx: WatchdogContext, out: Out): WatchdogState {
  const limit = Math.min(cfg.absoluteMaxC, ctx.cook === null ? Number.POSITIVE_INFINITY : ctx.cook.targetC + cfg.overTargetC);
  if (!s.overTemp && c > limit) {
    out.emit(event('over_temp', 'critical', true, { tempC: c, limitC: limit }), 'safe', `over-temperature: ${c} °C > ${limit} °C`, true);
    return { ...s, overTemp: true };
  }
  if (s.overTemp && c < limit - 1) {
    out.emit(
      event('over_temp_cleared', 'info', true, { tempC: c, limitC: limit }),
      'clear_over_temp',
      `${c} °C back under ${limit - 1} °C`,
      false,
    );
    return { ...s, overTemp: false };
  }
  return s;
}

function heaterStuck(cfg: WatchdogConfig, s: WatchdogState, c: number, nowMs: number, out: Out): WatchdogState {
  if (s.heaterOnSinceMs === null) return s;
  const startC = s.heaterOnStartC ?? c;
  const maxC = Math.max(s.heaterMaxC ?? c, c);
  const next = { ...s, heaterOnStartC: startC, heaterMaxC: maxC };
  if (!s.stuckAlarmed && nowMs - s.heaterOnSinceMs >= cfg.heaterStuckMs && maxC - startC < cfg.heaterStuckRiseC) {
    const mins = Math.round((nowMs - s.heaterOnSinceMs) / 60_000);
    out.emit(
      event('heater_stuck', 'alarm', true, { onForMs: nowMs - s.heaterOnSinceMs, riseC: maxC - startC }),
      'alarm',
      `heater commanded on ${mins} min, no rise`,
      false,
    );
    next.stuckAlarmed = true;
  }
  return next;
}

function foodSafety(cfg: WatchdogConfig, s: WatchdogState, c: number, ctx: WatchdogContext, nowMs: number, out: Out): WatchdogState {
  if (ctx.cook === null) return { ...s, dangerLastMs: null };
  const inZone = c >= cfg.dangerLowC && c < cfg.dangerHighC;
  let acc = s.dangerMs;
  // A gap counts if either end was in the zone: unknown time is assumed unsafe.
  if (s.dangerLastMs !== null && (inZone || s.dangerLastIn)) acc += nowMs - s.dangerLastMs;
  const next = { ...s, dangerMs: acc, dangerLastMs: nowMs, dangerLastIn: inZone };
  if (!s.dangerAlerted && acc >= cfg.dangerAlertMs) {
    out.emit(
      event('food_safety_alert', 'warning', true, { dangerMs: acc }),
      'alert',
      'bath 2 h between 4.4 and 54.4 °C (FDA Food Code)',
      false,
    );
    next.dangerAlerted = true;
  }
  if (!s.dangerAlarmed && acc >= cfg.dangerAlarmMs) {
    const override = ctx.cook.lowTempOverride === true;
    const e = override
      ? event('food_safety_override', 'warning', true, { dangerMs: acc, override })
      : event('food_safety_alarm', 'alarm', true, { dangerMs: acc, override });
    out.emit(e, override ? 'override_in_force' : 'alarm', 'bath 4 h between 4.4 and 54.4 °C (FDA Food Code)', false);
    next.dangerAlarmed = true;
  }
  return next;
}

/** The kit's retained status or its Last Will. */
export function watchStatus(state: WatchdogState, online: boolean, nowMs: number): WatchdogResult {
  const out = new Out();
  if (state.online === online) return out.result(state);
  const reason = online ? 'status online' : 'last will (status offline)';
  out.emit(
    event(online ? 'online' : 'offline', online ? 'info' : 'warning', !online, { via: 'status' }),
    online ? 'mark_online' : 'mark_offline',
    reason,
    false,
  );
  return out.result({ ...state, online, lastRxMs: online ? nowMs : state.lastRxMs });
}

/** Clock tick (the gateway calls it every second or so): the offline timer. */
export function watchTick(state: WatchdogState, nowMs: number, cfg: WatchdogConfig = DEFAULT_WATCHDOG): WatchdogResult {
  const out = new Out();
  const limitMs = cfg.offlineIntervals * cfg.expectedIntervalMs;
  if (state.online !== true || state.lastRxMs === null || nowMs - state.lastRxMs <= limitMs) return out.result(state);
  const silentMs = nowMs - state.lastRxMs;
  out.emit(event('offline', 'warning', true, { silentMs, via: 'timeout' }), 'mark_offline', `no telemetry for ${silentMs} ms`, false);
  return out.result({ ...state, online: false });
}

/** A new cook: the danger-zone clock starts again. */
export function watchCookStart(state: WatchdogState): WatchdogState {
  return { ...state, dangerMs: 0, dangerLastMs: null, dangerLastIn: false, dangerAlerted: false, dangerAlarmed: false };
}
