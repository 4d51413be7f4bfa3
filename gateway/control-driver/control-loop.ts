import type { CookSpec } from '../../shared/cook.js';
import type { Logger } from '../../shared/log.js';
import type { Ack, Command, Telemetry } from '../../shared/protocol/messages.js';
import { SteadyClock } from '../../shared/time/steady-clock.js';
import { activeAlarms } from '../control/alarms.js';
import type { ActuatorHealth, ResumedCook } from '../control/engine/index.js';
import {
  type ControlConfig,
  type ControlInput,
  type ControlResult,
  type CookField,
  controlStep,
  DEFAULT_CONTROL,
  type DeviceControlState,
  initialControlState,
} from '../control/index.js';
import { event } from '../control/types.js';
import { copyWatchdogState } from '../control/watchdog/state.js';
import type { Stats } from '../stats.js';
import type { StoredCook } from '../store/reader.js';
import type { CommandSender } from './command-sender.js';
import { type CookForecast, Forecasts } from './forecasts.js';
import { newId } from './ids.js';
import type { Actor, RecordSink } from './record-sink.js';

export interface CookInfo {
  id: string;
  version: number;
  spec: CookSpec;
  startedTs: number;
  /**
   * The cook's stamp (docs/sync.md): when it was last started, changed or stopped. Lifecycle
   * steps (holding, done) keep it. A local change is stamped after the cook it replaces.
   */
  updatedTs: number;
  state: 'heating' | 'holding' | 'done' | 'stopped';
  /** 'cloud': the cloud has it as its desired cook (it set it, or adopted it); 'local': not known to be (docs/sync.md). */
  origin: 'cloud' | 'local';
}

interface Entry {
  state: DeviceControlState;
  cook: CookInfo | null;
  /** A cook loaded from SQLite after a restart, in its phase (times on control time), applied with the first new reading. */
  resume: (ResumedCook & { lastC: number | null; lastMs: number | null }) | null;
  last: {
    boot: number;
    seq: number;
    ts: number | null;
    tempC: number | null;
    heater: boolean;
    sensor: string;
    rssi: number | null;
    rxTs: number;
  } | null;
  online: boolean;
  /** Readings below the last seq of the boot, in a row, since `firstMs` (control time; restartedSeq). */
  regress: { seq: number; count: number; firstMs: number } | null;
}

/** How long a resumed cook's kit has to reconnect after the gateway's restart before it counts as offline. */
export const RESUME_RECONNECT_GRACE_MS = 60_000;

/** A kit counting again within a boot: this many readings in a row below its last seq, over this long (restartedSeq). */
const SEQ_RESTART_RUN = 3;
const SEQ_RESTART_SPAN_MS = 2_000;

/**
 * The servo's record: presses sent, and of the presses judged against the bath (the engine's,
 * the watchdog's `safe` and the kit's own), how many were confirmed. The ratio is over the judged
 * ones, so it can never pass 100 %.
 */
export function actuatorView(h: ActuatorHealth) {
  const judged = h.confirmed + h.misses;
  return { ...h, judged, successRate: judged === 0 ? null : h.confirmed / judged };
}

/** A refused change; `field` names the part of the cook a rule refused (absent: nothing to start or stop). */
export type CookChange = { ok: true; cook: CookInfo | null } | { ok: false; reason: string; field?: CookField };

const LIFECYCLE: Record<string, CookInfo['state']> = { reached: 'holding', done: 'done', stopped: 'stopped' };

/**
 * The gateway's control runtime: one DeviceControlState per kit, driven by live readings (before
 * their commit: control never waits on disk), status changes, a 1 s watchdog tick and cook
 * changes from the local API or the cloud. It sends decisions through the CommandSender and
 * records events, audit and cook state through the RecordSink. Fully offline: nothing here
 * needs the cloud.
 */
export class ControlLoop {
  private readonly devices = new Map<string, Entry>();
  private tick: NodeJS.Timeout | undefined;
  /** Ready-at, done-at and safe-at per device (docs/food-safety.md); changes leave as `forecast` events. */
  private readonly forecasts = new Forecasts((id, ev, ts) => this.sink.event(id, ev, this.clock.toWall(ts)));

  constructor(
    private readonly sender: CommandSender,
    private readonly sink: RecordSink,
    private readonly log: Logger,
    /** Control's own time, immune to steps of the wall clock (shared/time/steady-clock.ts); records carry the wall clock. */
    private readonly clock: SteadyClock = new SteadyClock(),
    /** Counts what control notices about kits (`boot_regression`). */
    private readonly stats?: Stats,
    /** The rules' settings: the gateway's own over-temperature limit among them (controlConfigOf). */
    private readonly cfg: ControlConfig = DEFAULT_CONTROL,
  ) {}

  /**
   * Loads the cooks that were running when the gateway stopped; they resume with the first reading,
   * in their phase: a holding cook keeps the time it reached its target (its timer), a done one is
   * held again when the engine holds after done (else it is left done). Each kit's offline timer
   * starts now, as if it was heard at the restart: a kit that never reports again is flagged
   * `offline` after the same timeout as one that fell silent. `readings`: the cook's stored bath
   * readings (wall time, in order), replayed through its pasteurization model.
   */
  resumeFrom(
    cooks: readonly StoredCook[],
    readings?: (deviceId: string, fromTs: number) => Iterable<{ ts: number; tempC: number | null }>,
  ): number {
    const now = this.clock.now();
    let resumed = 0;
    for (const c of cooks) {
      // A done cook is held again only when the engine holds after done, and only when its done time
      // was kept: a done row from before the times were stored was never held across a restart, and
      // may be weeks old.
      if (c.state === 'done' && (!this.cfg.engine.holdAfterDone || c.doneTs === null)) continue;
      resumed++;
      const e = this.entry(c.deviceId);
      e.cook = {
        id: c.id,
        version: c.version,
        spec: c.spec,
        startedTs: c.startedTs,
        updatedTs: c.updatedTs,
        state: c.state,
        origin: 'local',
      };
      const steady = (wall: number | null) => (wall === null ? null : this.clock.fromWall(wall));
      e.resume = {
        spec: c.spec,
        phase: c.state,
        startedMs: this.clock.fromWall(c.startedTs),
        reachedMs: steady(c.reachedTs),
        doneMs: steady(c.doneTs),
        lastC: c.lastC,
        lastMs: steady(c.lastMs),
      };
      // The offline rule needs a kit that was online: this one counts as heard at the restart, plus
      // the time kits take to reconnect to a broker that was down (their backoff, TLS, the
      // authentication of a whole fleet at once), so that a restart alone raises no `offline`.
      const wd = copyWatchdogState(e.state.watchdog);
      wd.online = true;
      wd.lastRxMs = now + RESUME_RECONNECT_GRACE_MS;
      e.state = { ...e.state, watchdog: wd };
      // The core model starts from the cook's readings since the food went in (the water first
      // ready), not from a cold core: no second `pasteurized`.
      if (readings && c.foodInTs !== null && this.forecasts.tracks(e.cook)) {
        this.forecasts.markFoodIn(c.deviceId, c.id);
        for (const r of readings(c.deviceId, c.foodInTs)) this.forecasts.onReading(c.deviceId, e.cook, r.tempC, this.clock.fromWall(r.ts));
      }
    }
    return resumed;
  }

  /**
   * The alarms the store holds uncleared at a restart whose condition the watchdog can judge again
   * (`over_temp`; ADR 081): each kit's first reading either ends it (`over_temp_cleared`, which
   * clears its row and tells its end) or trips again as the same alarm (`continues`), never as a
   * new one. Other alarm types are judged afresh (a condition still there raises a new event).
   */
  resumeAlarms(alarms: readonly { id: string; deviceId: string | null; type: string; told: boolean }[]): number {
    let n = 0;
    for (const a of alarms) {
      if (a.type !== 'over_temp' || a.deviceId === null) continue;
      const e = this.entry(a.deviceId);
      const wd = copyWatchdogState(e.state.watchdog);
      wd.overTempCarried = a.id;
      // Only an alarm somebody was told of is continued silently; one told to nobody (no channel
      // then, or a row an older version left open) trips again as a new alarm, which notifies.
      wd.overTempCarriedTold = a.told;
      e.state = { ...e.state, watchdog: wd };
      n++;
    }
    return n;
  }

  start(tickMs = 1000): void {
    this.tick = setInterval(() => {
      const step = this.clock.step();
      if (step !== null) {
        this.stats?.inc('clock_step');
        this.sender.clockStepped();
        this.log.warn(
          { stepMs: step },
          'the wall clock stepped: control keeps its own time (timers, presses, the watchdog); records carry the new wall time',
        );
      }
      const now = this.clock.now();
      for (const [id, e] of this.devices)
        this.apply(id, e, controlStep(e.state, { kind: 'tick' }, now, this.cfg), now, { type: 'watchdog' });
    }, tickMs);
    this.tick.unref();
  }

  stop(): void {
    clearInterval(this.tick);
  }

  onReading(deviceId: string, m: Telemetry, rxTs: number): void {
    const e = this.entry(deviceId);
    const now = this.clock.now();
    // A boot counter going backwards: a reflashed or replaced kit (boots persist on the kit, and
    // its outbox does not outlive a boot). Counted, recorded, and control follows the new boot.
    if (e.last && m.boot < e.last.boot) {
      this.stats?.inc('boot_regression');
      const data = { fromBoot: e.last.boot, toBoot: m.boot };
      this.sink.event(deviceId, event('boot_regression', 'warning', true, data), this.clock.toWall(now));
      this.log.warn({ deviceId, ...data }, 'boot counter went backwards: a reflashed or replaced kit');
      e.last = null;
    }
    // In-memory dedupe (the store's dedupe happens at commit, which control does not wait for).
    if (e.last && m.boot === e.last.boot && m.seq <= e.last.seq && !this.restartedSeq(deviceId, e, m, now)) return;
    e.regress = null;
    e.last = { boot: m.boot, seq: m.seq, ts: m.ts, tempC: m.tempC, heater: m.heater, sensor: m.sensor, rssi: m.rssi ?? null, rxTs };
    // A reading is the kit talking to us now; its status (the will) says when it goes away.
    e.online = true;
    if (e.resume && m.tempC !== null) {
      const r = e.resume;
      e.resume = null;
      this.apply(deviceId, e, controlStep(e.state, { kind: 'cook_resume', ...r, nowC: m.tempC }, now, this.cfg), now, { type: 'watchdog' });
    }
    this.apply(
      deviceId,
      e,
      controlStep(
        e.state,
        { kind: 'telemetry', reading: { tempC: m.tempC, sensor: m.sensor, heater: m.heater, boot: m.boot } },
        now,
        this.cfg,
      ),
      now,
      { type: 'engine' },
    );
    this.forecasts.onReading(deviceId, e.cook, m.tempC, now);
    // Forecasts leave after this reading's control step, a few seconds apart at most: never in its way.
    if (e.cook && this.forecasts.due(deviceId, now))
      setImmediate(() => {
        const cur = this.devices.get(deviceId);
        if (cur) this.forecasts.publish(deviceId, cur.cook, this.forecastOf(deviceId, cur), this.clock.now());
      });
  }

  /**
   * A reading at or below the last seq of its boot is a resend, and is dropped. But a kit that
   * counts again from a lower seq without a new boot (a reboot that failed to save its boot
   * counter, a corrupt seq) would otherwise be dropped for the rest of that boot, and control
   * would go blind on a bath that may be heating. So a run of SEQ_RESTART_RUN readings below the
   * last seq, each above the one before and spread over SEQ_RESTART_SPAN_MS (a kit reporting live,
   * not a burst of resends), is followed as the kit's count now, like a boot that went back. A kit
   * with a clock must also stamp them later than the last reading: resends keep their old time,
   * however slowly they come.
   */
  private restartedSeq(deviceId: string, e: Entry, m: Telemetry, now: number): boolean {
    // A kit with a clock stamps its readings: a resend carries its old time, a kit counting again a new one.
    const lastTs = e.last?.ts ?? null;
    if (m.ts !== null && lastTs !== null && m.ts <= lastTs) {
      e.regress = null;
      return false;
    }
    const r = e.regress;
    e.regress =
      r !== null && m.seq > r.seq ? { seq: m.seq, count: r.count + 1, firstMs: r.firstMs } : { seq: m.seq, count: 1, firstMs: now };
    if (e.regress.count < SEQ_RESTART_RUN || now - e.regress.firstMs < SEQ_RESTART_SPAN_MS) return false;
    this.stats?.inc('seq_regression');
    const data = { boot: m.boot, fromSeq: e.last?.seq ?? null, toSeq: m.seq };
    this.sink.event(deviceId, event('seq_regression', 'warning', true, data), this.clock.toWall(now));
    this.log.warn({ deviceId, ...data }, 'telemetry seq went back within a boot: control follows the new count');
    e.regress = null;
    return true;
  }

  onStatus(deviceId: string, online: boolean): void {
    const e = this.entry(deviceId);
    e.online = online;
    const now = this.clock.now();
    this.apply(deviceId, e, controlStep(e.state, { kind: 'status', online }, now, this.cfg), now, { type: 'watchdog' });
  }

  /** The kit acknowledged one of our commands: its belief follows the Ack (device-control.ts). */
  onAck(deviceId: string, cmd: Command, ack: Ack): void {
    const e = this.devices.get(deviceId);
    if (!e) return;
    const now = this.clock.now();
    const input: ControlInput = {
      kind: 'ack',
      op: cmd.op,
      ok: ack.ok,
      heater: ack.heater,
      ...(cmd.expect ? { expect: cmd.expect } : {}),
      ...(ack.err ? { err: ack.err } : {}),
    };
    this.apply(deviceId, e, controlStep(e.state, input, now, this.cfg), now, { type: 'watchdog' });
  }

  onCommandFailed(deviceId: string): void {
    const e = this.devices.get(deviceId);
    if (!e) return;
    const now = this.clock.now();
    this.apply(deviceId, e, controlStep(e.state, { kind: 'command_failed' }, now, this.cfg), now, { type: 'engine' });
  }

  /** The cook as the sync rule sees it (docs/sync.md); null when none is running. */
  localCook(deviceId: string): { id: string; spec: CookSpec | null; updatedTs: number; origin: 'cloud' | 'local' } | null {
    const c = this.devices.get(deviceId)?.cook;
    if (!c) return null;
    const running = c.state === 'heating' || c.state === 'holding';
    return { id: c.id, spec: running ? c.spec : null, updatedTs: c.updatedTs, origin: c.origin };
  }

  /** `from`: a cook set by the cloud keeps the cloud's id, version and time (docs/sync.md). */
  startCook(deviceId: string, spec: CookSpec, actor: Actor, from?: { id: string; version: number; updatedTs: number }): CookChange {
    const e = this.entry(deviceId);
    const now = this.clock.now();
    const wall = this.clock.toWall(now);
    const active = e.cook !== null && (e.cook.state === 'heating' || e.cook.state === 'holding');
    const input: ControlInput = active ? { kind: 'cook_change', spec } : { kind: 'cook_start', spec };
    const r = controlStep(e.state, input, now, this.cfg);
    if (r.rejected) {
      this.sink.audit(deviceId, actor, 'cook_rejected', r.rejected.reason, { spec, field: r.rejected.field }, wall);
      return { ok: false, reason: r.rejected.reason, field: r.rejected.field };
    }
    const origin = actor.type === 'cloud' ? 'cloud' : 'local';
    // A cloud cook keeps the cloud's stamp; a local change is stamped after whatever it replaces.
    const updatedTs = from?.updatedTs ?? Math.max(wall, (e.cook?.updatedTs ?? 0) + 1);
    const cook: CookInfo =
      active && e.cook
        ? { ...e.cook, id: from?.id ?? e.cook.id, spec, version: from?.version ?? e.cook.version + 1, updatedTs, origin }
        : { id: from?.id ?? newId('cook', wall), version: from?.version ?? 1, spec, startedTs: wall, updatedTs, state: 'heating', origin };
    e.cook = cook;
    e.resume = null;
    this.sink.audit(
      deviceId,
      actor,
      active ? 'cook_change' : 'cook_start',
      `target ${spec.targetC} °C`,
      { cookId: cook.id, version: cook.version, spec },
      wall,
    );
    this.apply(deviceId, e, r, now, actor);
    this.persistCook(deviceId, e);
    return { ok: true, cook };
  }

  stopCook(deviceId: string, actor: Actor, reason = 'stopped by request'): CookChange {
    const e = this.devices.get(deviceId);
    if (!e?.cook || e.cook.state === 'stopped') return { ok: false, reason: 'no cook running' };
    const now = this.clock.now();
    const wall = this.clock.toWall(now);
    this.sink.audit(deviceId, actor, 'cook_stop', reason, { cookId: e.cook.id }, wall);
    // A cook loaded after a restart and stopped before its kit reported again is not taken up by that report.
    e.resume = null;
    this.apply(deviceId, e, controlStep(e.state, { kind: 'cook_stop' }, now, this.cfg), now, actor);
    e.cook = {
      ...e.cook,
      state: 'stopped',
      version: e.cook.version + 1,
      updatedTs: Math.max(wall, e.cook.updatedTs + 1),
      origin: actor.type === 'cloud' ? 'cloud' : 'local',
    };
    this.persistCook(deviceId, e);
    return { ok: true, cook: e.cook };
  }

  view(deviceId: string) {
    const e = this.devices.get(deviceId);
    if (!e) return null;
    const eng = e.state.engine;
    return {
      deviceId,
      online: e.online,
      last: e.last,
      cook: e.cook,
      /** When the bath reached the target in this cook (a timed cook's timer runs from here). */
      reachedTs: eng.cook?.reachedMs == null ? null : this.clock.toWall(eng.cook.reachedMs),
      alarms: activeAlarms(e.state),
      commandedOn: e.state.commandedOn,
      resumeHold: e.state.resumeHold,
      dangerZoneMs: e.state.watchdog.dangerMs,
      heaterInferredOn: eng.actual,
      actuator: actuatorView(eng.health),
      learned: { heatCPerS: eng.learn.heatCPerS, coolCPerS: eng.learn.coolCPerS, lagS: eng.learn.lagS },
      ...this.forecastOf(deviceId, e),
    };
  }

  /** The cook's ready, done and safe times on the wall clock (computed on control time). */
  private forecastOf(deviceId: string, e: Entry): CookForecast {
    const f = this.forecasts.forecast(deviceId, e.cook, e.state, this.clock.now());
    const off = this.clock.offsetMs();
    if (off === 0) return f;
    const wall = (ms: number | null) => (ms === null ? null : ms + off);
    return {
      ...f,
      readyAt: wall(f.readyAt),
      readyBand: f.readyBand && { ...f.readyBand, earliest: f.readyBand.earliest + off, latest: f.readyBand.latest + off },
      doneAt: wall(f.doneAt),
      safeAt: wall(f.safeAt),
    };
  }

  ids(): string[] {
    return [...this.devices.keys()];
  }

  private entry(deviceId: string): Entry {
    let e = this.devices.get(deviceId);
    if (!e) {
      // Not online until it reports (a status or a reading): a cook set on a kit that never connected, or resumed after a restart, waits for it.
      e = { state: initialControlState(this.cfg), cook: null, resume: null, last: null, online: false, regress: null };
      this.devices.set(deviceId, e);
    }
    return e;
  }

  /** `now` is control time; what is recorded carries the wall clock. */
  private apply(deviceId: string, e: Entry, r: ControlResult, now: number, actor: Actor): void {
    e.state = r.state;
    const wall = this.clock.toWall(now);
    const cooking = e.cook !== null && (e.cook.state === 'heating' || e.cook.state === 'holding');
    for (const ev of r.events) {
      this.sink.event(deviceId, ev, wall, { cooking });
      const next = LIFECYCLE[ev.type];
      if (next && e.cook && e.cook.state !== next && e.cook.state !== 'stopped') {
        e.cook = { ...e.cook, state: next };
        this.persistCook(deviceId, e);
      } else if (ev.type === 'reached' && e.cook && e.cook.state !== 'stopped') {
        // Reached again after a target change (the cook stayed `holding`): only the local row's reached time changes.
        this.persistCook(deviceId, e, true);
      }
    }
    // Each action is audited once: the step's own intent for the command it decided carries the
    // command's id; only a decision without one (none today) gets a record of its own.
    const action = r.decision.kind === 'none' ? null : r.decision.kind === 'safe' ? 'safe' : `press_${r.decision.expect}`;
    const cmd = r.decision.kind === 'none' ? null : this.sender.send(deviceId, r.decision);
    let audited = false;
    for (const a of r.audit) {
      if (cmd !== null && !audited && a.action === action) {
        audited = true;
        this.sink.auditIntent(deviceId, { ...a, data: { ...a.data, commandId: cmd.id } }, wall);
      } else this.sink.auditIntent(deviceId, a, wall);
    }
    if (cmd !== null && r.decision.kind !== 'none') {
      if (!audited) {
        const by: Actor =
          actor.type === 'user' || actor.type === 'cloud' ? actor : { type: r.decision.kind === 'safe' ? 'watchdog' : 'engine' };
        this.sink.audit(deviceId, by, action as string, r.decision.reason, { commandId: cmd.id }, wall);
      }
      this.log.info({ deviceId, op: cmd.op, expect: cmd.expect, reason: r.decision.reason }, 'command sent');
    }
  }

  /**
   * The record carries the cook's stamp, not the time of the step: the cloud orders cooks by it
   * (docs/sync.md). The local row also keeps when the engine's cook reached its target and was
   * done (a target change clears them), for a resume. `localOnly`: only those times changed.
   */
  private persistCook(deviceId: string, e: Entry, localOnly = false): void {
    if (!e.cook) return;
    const { origin: _origin, ...cook } = e.cook;
    const eng = e.state.engine.cook;
    const wall = (ms: number | null | undefined) => (ms == null ? null : this.clock.toWall(ms));
    this.sink.cook(deviceId, { ...cook, reachedTs: wall(eng?.reachedMs), doneTs: wall(eng?.doneMs) }, localOnly);
  }

  /** The cloud sent back this running cook as its desired one (it adopted it): a cloud stop may now end it. */
  markCloudKnown(deviceId: string, cookId: string): void {
    const e = this.devices.get(deviceId);
    if (e?.cook && e.cook.id === cookId) e.cook = { ...e.cook, origin: 'cloud' };
  }
}
