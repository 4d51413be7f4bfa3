import type { CookSpec } from '../../../shared/cook.js';
import { dangerCounts, inDangerZone } from '../../../shared/food-safety/core-track.js';
import { DEFAULT_WATCHDOG, type WatchdogConfig } from '../config.js';
import { type AuditIntent, type ControlEvent, type Decision, event, NO_DECISION, type Reading, type StepResult } from '../types.js';
import { endDip, heatUpDip, trackRamp } from './heat-up-fall.js';
import { classifyReading } from './sensor.js';
import { copyWatchdogState, endFallFault, endFallWatch, type WatchdogState, waterTestRunning } from './state.js';
import { fallWarming } from './warming.js';
import { burstOver, doubtPassedTest, endBurstOnTick, waterTest } from './water-test.js';

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
  /** What the bath has shown the engine of the element's heating rate, °C/s (null: nothing learned yet). */
  heatCPerS?: number | null;
  /** The cook has reached its target (the water test runs only on a held bath). */
  reached?: boolean;
  /** The engine sees the bath pulled down faster than it cools by itself (cold food or water went in). */
  pulled?: boolean;
  /** The heater's state if every press since the last one the bath confirmed took (the engine's `ifAllTook`). */
  heaterIfAllTook?: boolean;
  /** What the kit last said it believes of its heater (its last Ack), null before any. */
  kitBelief?: boolean | null;
  /** The heater's state if every press since the probe left the water took, whatever the bath seemed to confirm (the engine's `countSinceFault`). */
  countSinceFault?: boolean | null;
  /** The engine's presses judged missed in a row (none confirmed since). */
  pressMisses?: number;
}

export type WatchdogResult = StepResult<WatchdogState>;

/** The empty list every quiet result shares (frozen: a result's lists are read, never added to). */
const NONE = Object.freeze([]) as unknown as never[];

/** What one rule run says: events, audit intents and the decision (the lists made only when used). */
class Out {
  events: ControlEvent[] | null = null;
  audit: AuditIntent[] | null = null;
  decision: Decision = NO_DECISION;
  emit(e: ControlEvent, action: string, reason: string, safe: boolean): void {
    const intent: AuditIntent = { actor: 'watchdog', action, reason, data: { event: e.type, ...e.data } };
    if (this.events === null) this.events = [e];
    else this.events.push(e);
    if (this.audit === null) this.audit = [intent];
    else this.audit.push(intent);
    if (safe) this.decision = { kind: 'safe', reason };
  }
  /** The one press the watchdog makes: the water test's burst (water-test.ts). */
  pressOn(reason: string): void {
    this.decision = { kind: 'press', expect: 'on', reason };
  }
  result(state: WatchdogState): WatchdogResult {
    return { state, decision: this.decision, events: this.events ?? NONE, audit: this.audit ?? NONE };
  }
}

/** One telemetry message. The rules below work on one copy of the state (`d`) and return it. */
export function watchTelemetry(
  state: WatchdogState,
  r: Reading,
  ctx: WatchdogContext,
  nowMs: number,
  cfg: WatchdogConfig = DEFAULT_WATCHDOG,
): WatchdogResult {
  const out = new Out();
  const d = copyWatchdogState(state);
  if (d.online === false) out.emit(event('online', 'info', false, { via: 'telemetry' }), 'mark_online', 'telemetry received', false);
  d.online = true;
  heaterTracking(d, ctx, r, nowMs);
  trackRamp(d, ctx, r, nowMs);
  // Early in a heat-up a dip the heater does not answer is a fall (heat-up-fall.ts), judged
  // against the recent high before the fall rule moves it.
  const dipFell = d.sensorFault === null && r.sensor === 'ok' && r.tempC !== null && heatUpDip(cfg, d, r.tempC, ctx, nowMs);
  const verdict = classifyReading(cfg, d, r, nowMs, d.heaterOnSinceMs, ctx.cook !== null, ctx.heatCPerS ?? null, ctx.cook?.targetC ?? null);
  d.lastRxMs = nowMs;
  if (dipFell && d.sensorFault === null) {
    tripSensorFault(d, 'fall', nowMs, out, 'the reading fell while heating, and did not rise again as heated water does', {
      heatUp: true,
    });
    return out.result(d);
  }
  if (!verdict.ok) {
    d.bad++;
    d.good = 0;
    if (d.bad >= cfg.badReadingsToTrip && d.sensorFault === null) {
      // The watchdog rule: heater off within 5 s of the third bad reading; decided on that reading.
      tripSensorFault(d, verdict.kind, nowMs, out, `${verdict.kind} × ${d.bad}`);
    } else if (d.sensorFault === 'fall' && verdict.kind === 'fall') {
      waterTest(cfg, d, r.tempC!, ctx, nowMs, out);
      const warming = fallWarming(cfg, d, r.tempC!, nowMs, waterTestRunning(d));
      if (warming !== null)
        out.emit(warming, 'alarm', 'the probe out of the water keeps warming: the heater may still be on (a missed press)', false);
    }
    return out.result(d);
  }
  d.bad = 0;
  if (d.sensorFault !== null) {
    d.good++;
    if (d.good < cfg.goodReadingsToClear) return out.result(d);
    out.emit(event('sensor_ok', 'info', true, { was: d.sensorFault }), 'clear_sensor_fault', `${d.good} good readings`, false);
    d.sensorFault = null;
    d.good = 0;
    // The recent high starts again from the readings that cleared the fault.
    endFallWatch(d);
  }
  const c = r.tempC!;
  overTemp(cfg, d, c, ctx, nowMs, out);
  heaterStuck(cfg, d, c, ctx, nowMs, out);
  doubtPassedTest(cfg, d, ctx, nowMs, out);
  foodSafety(cfg, d, c, ctx, nowMs, out);
  return out.result(d);
}

/** A sensor fault trips: the heater off (`safe`), the cook told. */
function tripSensorFault(d: WatchdogState, kind: string, nowMs: number, out: Out, why: string, data: Record<string, unknown> = {}): void {
  d.sensorFault = kind;
  if (kind === 'fall') d.fallSinceMs = nowMs;
  endDip(d);
  out.emit(event('sensor_fault', 'alarm', true, { kind, badReadings: d.bad, ...data }), 'safe', `sensor fault: ${why}`, true);
}

function heaterTracking(d: WatchdogState, ctx: WatchdogContext, r: Reading, nowMs: number): void {
  if (!ctx.heaterCommandedOn) {
    // A held-off heater stays held when the heater goes off (its release is in heaterStuck); an
    // alarm without the hold ends here, as the heater it was about is off.
    if (!d.stuckHeld) d.stuckAlarmed = false;
    endHeaterWindow(d);
    return;
  }
  if (d.heaterOnSinceMs !== null) return;
  d.heaterOnSinceMs = nowMs;
  d.heaterOnStartC = r.tempC;
  d.heaterMaxC = r.tempC;
}

function overTemp(cfg: WatchdogConfig, d: WatchdogState, c: number, ctx: WatchdogContext, nowMs: number, out: Out): void {
  const limit = Math.min(cfg.absoluteMaxC, ctx.cook === null ? Number.POSITIVE_INFINITY : ctx.cook.targetC + cfg.overTargetC);
  const before = d.limitC;
  const beforeC = d.limitAtC;
  d.limitC = limit;
  d.limitAtC = c;
  // The alarm from before a restart is judged like a tripped latch, except that over the limit it
  // trips again (the heater switched off, as at any trip), as the same alarm: `continues`.
  const carried = d.overTemp ? null : d.overTempCarried;
  if (d.overTemp && d.coolingLowC !== null) {
    cooling(cfg, d, c, limit, nowMs, out);
    return;
  }
  if (!d.overTemp && c > limit) {
    // The limit fell below water that was within the limit before and has not risen since: a
    // cook changed (or started) cooler than the bath. The heater goes off and is latched off all
    // the same, but that is the cook's doing, not a fault: no alarm unless the water then rises.
    const lowered =
      carried === null &&
      before !== null &&
      beforeC !== null &&
      limit < before &&
      beforeC <= before &&
      c <= beforeC + cfg.loweredRiseC &&
      c <= cfg.absoluteMaxC;
    d.overTemp = true;
    if (lowered) {
      d.coolingLowC = c;
      d.coolingMarkC = c;
      d.coolingMarkMs = nowMs;
      out.emit(
        event('cooling', 'info', true, { tempC: c, limitC: limit }),
        'safe',
        `target below the water: heater off while ${c} °C cools under ${limit} °C`,
        true,
      );
      return;
    }
    const data = carried !== null && d.overTempCarriedTold ? { tempC: c, limitC: limit, continues: carried } : { tempC: c, limitC: limit };
    out.emit(event('over_temp', 'critical', true, data), 'safe', `over-temperature: ${c} °C > ${limit} °C`, true);
    d.overTempCarried = null;
    return;
  }
  if ((d.overTemp || carried !== null) && c < limit - 1) {
    d.overTempCarried = null;
    out.emit(
      event('over_temp_cleared', 'info', true, { tempC: c, limitC: limit }),
      'clear_over_temp',
      `${c} °C back under ${limit - 1} °C`,
      false,
    );
    d.overTemp = false;
  }
}

/**
 * The water cools towards a target set below it (the latch holds the heater off). It is done once
 * under the limit less 1 °C, like an over-temperature. Water that rises `loweredRiseC` above its
 * lowest since, passes the absolute limit, or does not cool (no new low by `coolingStepC` for
 * `coolingStallMs`: an element still on holds a bath level, or a bath far above the limit) is
 * heated by something: that is `over_temp` (critical), raised on the latch that already holds.
 */
function cooling(cfg: WatchdogConfig, d: WatchdogState, c: number, limit: number, nowMs: number, out: Out): void {
  const low = Math.min(d.coolingLowC ?? c, c);
  if (c < limit - 1) {
    out.emit(event('cooled', 'info', true, { tempC: c, limitC: limit }), 'clear_over_temp', `${c} °C cooled under ${limit - 1} °C`, false);
    d.overTemp = false;
    endCooling(d);
    return;
  }
  if (d.coolingMarkC === null || d.coolingMarkMs === null || c <= d.coolingMarkC - cfg.coolingStepC) {
    d.coolingMarkC = c;
    d.coolingMarkMs = nowMs;
  }
  const rose = c - low > cfg.loweredRiseC || c > cfg.absoluteMaxC;
  const stalled = nowMs - d.coolingMarkMs >= cfg.coolingStallMs;
  if (rose || stalled) {
    // The latch has held the heater off since the cooling began and goes on repeating `safe` on
    // its own schedule while the water rises: what changes is that this is now an alarm.
    endCooling(d);
    const why = rose
      ? `and rising (${(c - low).toFixed(2)} °C above its lowest since the target was lowered)`
      : `and not cooling (no ${cfg.coolingStepC} °C fall in ${Math.round(cfg.coolingStallMs / 60_000)} min since the target was lowered)`;
    out.emit(
      event('over_temp', 'critical', true, { tempC: c, limitC: limit, riseC: c - low, cooling: rose ? 'rising' : 'stalled' }),
      'alarm',
      `over-temperature: ${c} °C > ${limit} °C ${why}`,
      false,
    );
    return;
  }
  d.coolingLowC = low;
}

function endCooling(d: WatchdogState): void {
  d.coolingLowC = null;
  d.coolingMarkC = null;
  d.coolingMarkMs = null;
}

/**
 * Heater stuck: commanded on for `heaterStuckMs` and the probe has not risen `heaterStuckRiseC`
 * in that time. The window starts again at each such rise, so a probe that leaves the water in
 * the middle of a long heat-up is caught too. Either the probe is not in the water (it reads the
 * air while the bath heats unseen) or the cooker does not heat; in both cases pressing on is
 * what must stop, so the heater is switched off and held off (ADR 051) until the probe shows the
 * water warming (it is back in a bath that is warmer than it read) or the cook is changed,
 * restarted or stopped (`retryOnCookChange`).
 */
function heaterStuck(cfg: WatchdogConfig, d: WatchdogState, c: number, ctx: WatchdogContext, nowMs: number, out: Out): void {
  if (d.stuckHeld) {
    const low = Math.min(d.stuckLowC ?? c, c);
    d.stuckLowC = low;
    if (c - low < cfg.heaterStuckRiseC) return;
    out.emit(event('heater_ok', 'info', true, { riseC: c - low }), 'clear_heater_stuck', `the water reads ${c - low} °C warmer`, false);
    endHeaterStuck(d);
    return;
  }
  if (d.stuckAlarmed || d.heaterOnSinceMs === null) return;
  // A held bath pulled down by cold food or water takes more heat than a working element gives,
  // for minutes: the clock of "no warming" starts when the pull ends (ADR 055). Only once the
  // cook had reached its target (food goes in then); a probe leaving the water early in a
  // heat-up falls too little for the fall rule and must still be caught here.
  if (ctx.pulled === true && ctx.reached === true) {
    d.heaterOnSinceMs = nowMs;
    d.heaterOnStartC = c;
    d.heaterMaxC = c;
    return;
  }
  // Warming is a rise from the lowest reading since the heater went on, not from the reading
  // then: the water warms from the bottom of the dip a cold load made. A probe in the air never
  // rises from it.
  let startC = d.heaterOnStartC ?? c;
  if (c < startC) {
    startC = c;
    d.heaterMaxC = c;
  }
  if (c - startC >= cfg.heaterStuckRiseC) {
    // It heats: watch the next window from here.
    d.heaterOnSinceMs = nowMs;
    d.heaterOnStartC = c;
    d.heaterMaxC = c;
    return;
  }
  const maxC = Math.max(d.heaterMaxC ?? c, c);
  d.heaterOnStartC = startC;
  d.heaterMaxC = maxC;
  const sinceMs = nowMs - d.heaterOnSinceMs;
  if (sinceMs >= cfg.heaterStuckMs) {
    const mins = Math.round(sinceMs / 60_000);
    // Within a few degrees of the target the probe is in hot water, not in the air: the presses
    // missed (the engine's miss test presses again) or the cooker gave out near its own setting.
    // Holding the heater off would only let the bath cool; the alarm is enough.
    const hot = ctx.cook !== null && c >= ctx.cook.targetC - cfg.heaterStuckHotC;
    // A probe that cannot see the heater (in the air near room temperature) makes every press look
    // missed, and the engine presses again: each press that took toggled the heater. The kit
    // believes it on; if every press took, it is on only after an odd number of them. A `safe`
    // on an even number would switch a heater that is off on, with the kit then believing it off
    // (no `safe` presses again): the unseen bath boiled in the simulator. So the `safe` waits for
    // the engine's next press (tens of seconds), and if none comes the heater is held off with
    // the alarm and no press.
    const wrongWay = !hot && ctx.heaterIfAllTook === false;
    if (wrongWay && sinceMs < 2 * cfg.heaterStuckMs) return;
    const safe = !hot && !wrongWay;
    const data = { noRiseForMs: sinceMs, riseC: maxC - startC, held: !hot, ...(wrongWay ? { pressed: false } : {}) };
    const reason = `heater commanded on ${mins} min, the water did not warm${hot ? '' : wrongWay ? ': heater held off; no safe, it would switch on a heater every press of which took' : ': heater held off'}`;
    out.emit(event('heater_stuck', 'alarm', true, data), safe ? 'safe' : 'alarm', reason, safe);
    d.stuckAlarmed = true;
    d.stuckHeld = !hot;
    d.stuckLowC = c;
  }
}

/** The heater-stuck window ends (the heater is off, or the rule lets go). */
function endHeaterWindow(d: WatchdogState): void {
  d.heaterOnSinceMs = null;
  d.heaterOnStartC = null;
  d.heaterMaxC = null;
}

/** The heater-stuck rule lets go: alarm, hold and window. */
function endHeaterStuck(d: WatchdogState): void {
  d.stuckAlarmed = false;
  d.stuckHeld = false;
  d.stuckLowC = null;
  endHeaterWindow(d);
}

/**
 * An operator changed, restarted or stopped the cook: the rules that hold the heater off for want
 * of evidence let go and judge afresh (a held-off heater, a probe that fell out of the water, a
 * water test withdrawn).
 * Those that hold it off on evidence (over-temperature, a probe that does not read) stay: their
 * own readings release them.
 */
export function retryOnCookChange(state: WatchdogState, nowMs: number, cfg: WatchdogConfig = DEFAULT_WATCHDOG): WatchdogState {
  const quiet = !state.stuckAlarmed && !state.stuckHeld && state.heaterOnSinceMs === null && state.sensorFault !== 'fall';
  if (quiet && !state.airHeld && state.waterPassedMs === null) return state;
  const d = copyWatchdogState(state);
  endHeaterStuck(d);
  // The operator has seen to the probe: a withdrawn water test lets go, and a pass is no longer in doubt.
  d.airHeld = false;
  d.airDoubtMs = null;
  d.waterPassedMs = null;
  d.doubtMissBase = null;
  if (d.sensorFault === 'fall') {
    endFallFault(d);
    d.lastGoodC = null;
    d.lastGoodMs = null;
    // The operator's word that the probe is in the water: a load of frozen food may go on pulling
    // the bath down faster than it cools by itself, and must not trip the rule again at once.
    d.vouchedUntilMs = nowMs + cfg.vouchedFallMs;
  }
  return d;
}

function foodSafety(cfg: WatchdogConfig, d: WatchdogState, c: number, ctx: WatchdogContext, nowMs: number, out: Out): void {
  if (ctx.cook === null) {
    d.dangerLastMs = null;
    return;
  }
  const inZone = inDangerZone(c, { lowC: cfg.dangerLowC, highC: cfg.dangerHighC });
  let acc = d.dangerMs;
  // A gap counts if either end was in the zone: unknown time is assumed unsafe (the cook records' rule too).
  if (d.dangerLastMs !== null && dangerCounts(d.dangerLastIn, inZone)) acc += nowMs - d.dangerLastMs;
  d.dangerMs = acc;
  d.dangerLastMs = nowMs;
  d.dangerLastIn = inZone;
  if (!d.dangerAlerted && acc >= cfg.dangerAlertMs) {
    out.emit(
      event('food_safety_alert', 'warning', true, { dangerMs: acc }),
      'alert',
      'bath 2 h between 4.4 and 54.4 °C (FDA Food Code)',
      false,
    );
    d.dangerAlerted = true;
  }
  if (!d.dangerAlarmed && acc >= cfg.dangerAlarmMs) {
    const override = ctx.cook.lowTempOverride === true;
    const e = override
      ? event('food_safety_override', 'warning', true, { dangerMs: acc, override })
      : event('food_safety_alarm', 'alarm', true, { dangerMs: acc, override });
    out.emit(e, override ? 'override_in_force' : 'alarm', 'bath 4 h between 4.4 and 54.4 °C (FDA Food Code)', false);
    d.dangerAlarmed = true;
  }
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
  const d = copyWatchdogState(state);
  d.online = online;
  if (online) d.lastRxMs = nowMs;
  return out.result(d);
}

/** Clock tick (the gateway calls it every second or so): the offline timer. */
export function watchTick(state: WatchdogState, nowMs: number, cfg: WatchdogConfig = DEFAULT_WATCHDOG): WatchdogResult {
  const out = new Out();
  let s = state;
  if (burstOver(s, nowMs)) {
    const d = copyWatchdogState(s);
    endBurstOnTick(d, nowMs, out);
    s = d;
  }
  const limitMs = cfg.offlineIntervals * cfg.expectedIntervalMs;
  if (s.online !== true || s.lastRxMs === null || nowMs - s.lastRxMs <= limitMs) return out.result(s);
  const silentMs = nowMs - s.lastRxMs;
  out.emit(event('offline', 'warning', true, { silentMs, via: 'timeout' }), 'mark_offline', `no telemetry for ${silentMs} ms`, false);
  const d = s === state ? copyWatchdogState(s) : s;
  d.online = false;
  return out.result(d);
}

/** A new cook: the danger-zone clock starts again. */
export function watchCookStart(state: WatchdogState, nowMs: number, cfg: WatchdogConfig = DEFAULT_WATCHDOG): WatchdogState {
  const d = copyWatchdogState(retryOnCookChange(state, nowMs, cfg));
  d.dangerMs = 0;
  d.dangerLastMs = null;
  d.dangerLastIn = false;
  d.dangerAlerted = false;
  d.dangerAlarmed = false;
  return d;
}
