import type { CookSpec } from '../../shared/cook.js';
import { DEFAULT_ENGINE } from '../control/config.js';
import type { DeviceControlState } from '../control/device-control.js';
import { doneAt, foodSpecOf, readyAt, SafetyTracker, type SafetyView } from '../control/forecast/index.js';
import { type ControlEvent, event } from '../control/types.js';

/** What a device view and the cloud get about the cook's outcome (epoch ms or null). */
export interface CookForecast {
  readyAt: number | null;
  /** The band around readyAt while the bath model is still learning. */
  readyBand: { earliest: number; latest: number; learning: boolean } | null;
  doneAt: number | null;
  safeAt: number | null;
  safety: SafetyView | null;
}

export const NO_FORECAST: CookForecast = Object.freeze({ readyAt: null, readyBand: null, doneAt: null, safeAt: null, safety: null });

interface CookRef {
  id: string;
  spec: CookSpec;
  state: 'heating' | 'holding' | 'done' | 'stopped';
}

/** Send a `forecast` event when a time moved by at least this much (or appeared / vanished)… */
const MOVE_MS = 60_000;
/** …but not more often than this. */
const MIN_INTERVAL_MS = 60_000;
/** How often a device's forecast is looked at for publishing (the safe-at inside is cached longer). */
const CHECK_MS = 5_000;

/**
 * The gateway's forecasts per device: ready-at and done-at from the engine's learned bath model,
 * safe-at from a core model driven by the measured bath. Changes leave as `forecast` events
 * (the local events table and, through the outbox, the cloud).
 */
export class Forecasts {
  private readonly trackers = new Map<string, SafetyTracker>();
  private readonly sent = new Map<string, { f: CookForecast; cookId: string; ts: number }>();
  private readonly checked = new Map<string, number>();
  /** Per device, the cook whose food is in the bath (it reached its target once). */
  private readonly foodInCook = new Map<string, string>();

  constructor(
    private readonly emit: (deviceId: string, e: ControlEvent, ts: number) => void,
    private readonly bandC = DEFAULT_ENGINE.bandC,
  ) {}

  /**
   * A new bath reading of a device with this cook. The core model follows the bath from the moment
   * the food goes in, which is when the cook is told it may: when the water is ready (`reached`:
   * the cook holding, or done). Before that the food is in the fridge, at 5 °C. A cook who put the
   * food in cold water at the start gets a `safeAt` later than the core's, never earlier. The food
   * stays in when the target is changed later (the cook heats again with the food in it).
   */
  onReading(deviceId: string, cook: CookRef | null, tempC: number | null, nowMs: number): void {
    const t = this.tracker(deviceId, cook);
    if (t && tempC !== null && this.foodIn(deviceId, cook)) t.onBath(nowMs, tempC);
  }

  /** A resumed cook whose water was ready before the restart: its food is in. */
  markFoodIn(deviceId: string, cookId: string): void {
    this.foodInCook.set(deviceId, cookId);
  }

  /** True when this cook has a core model (a food to pasteurize). */
  tracks(cook: CookRef | null): boolean {
    return cook !== null && foodSpecOf(cook.spec) !== null;
  }

  forecast(deviceId: string, cook: CookRef | null, state: DeviceControlState, nowMs: number): CookForecast {
    if (cook === null || cook.state === 'stopped') return NO_FORECAST;
    const eng = state.engine;
    const reachedMs = eng.cook?.reachedMs ?? null;
    const ready = readyAt({
      nowMs,
      targetC: cook.spec.targetC,
      bandC: this.bandC,
      bathC: eng.lastC,
      reachedMs,
      heaterOn: eng.actual,
      learned: eng.learn,
    });
    const t = this.tracker(deviceId, cook);
    let safeAt: number | null = null;
    let safety: SafetyView | null = null;
    if (t && !this.foodIn(deviceId, cook)) {
      // Still heating: the food goes in when the water is ready, if a time for that is known.
      safeAt = ready === null ? null : t.safeAtFromReady(nowMs, cook.spec.targetC, ready.atMs);
      safety = t.view(safeAt === null && ready !== null);
    } else if (t) {
      safeAt = cook.state === 'done' ? t.pasteurizedAtMs : t.safeAt(nowMs, cook.spec.targetC, ready?.atMs ?? null, reachedMs !== null);
      safety = t.view(safeAt === null && cook.state !== 'done' && eng.lastC !== null);
    }
    return {
      readyAt: ready?.atMs ?? null,
      readyBand: ready?.learning ? { earliest: ready.earliestMs, latest: ready.latestMs, learning: true } : null,
      doneAt: doneAt(cook.spec.durationMin, reachedMs, ready),
      safeAt,
      safety,
    };
  }

  /** True (and noted) when a device's forecast is due to be looked at again for publishing. */
  due(deviceId: string, nowMs: number): boolean {
    const last = this.checked.get(deviceId);
    if (last !== undefined && nowMs - last < CHECK_MS && nowMs >= last) return false;
    this.checked.set(deviceId, nowMs);
    return true;
  }

  /** Emits a `forecast` event when the forecast moved enough since the last one. */
  publish(deviceId: string, cook: CookRef | null, f: CookForecast, nowMs: number): void {
    if (cook === null || cook.state === 'stopped') return;
    const last = this.sent.get(deviceId);
    const nowSafe = f.safety?.pasteurized ?? false;
    if (nowSafe && last?.cookId === cook.id && !(last.f.safety?.pasteurized ?? false)) {
      // The notification: the modelled core has reached its log reductions.
      this.emit(deviceId, event('pasteurized', 'info', false, { cookId: cook.id, foodKind: f.safety?.foodKind, safeAt: f.safeAt }), nowMs);
    }
    if (last && last.cookId === cook.id) {
      const flipped = (last.f.safety?.pasteurized ?? false) !== nowSafe;
      if (nowMs - last.ts < MIN_INTERVAL_MS && !flipped) return;
      const moved = (['readyAt', 'doneAt', 'safeAt'] as const).some((k) => movedBy(last.f[k], f[k]));
      if (!moved && !flipped) return;
    }
    this.sent.set(deviceId, { f, cookId: cook.id, ts: nowMs });
    this.emit(
      deviceId,
      event('forecast', 'info', false, {
        cookId: cook.id,
        readyAt: f.readyAt,
        doneAt: f.doneAt,
        safeAt: f.safeAt,
        readyBand: f.readyBand,
        safety: f.safety,
      }),
      nowMs,
    );
  }

  /**
   * The food is in the bath from the moment the water was first ready (the cook holding, or done) to
   * the cook's end; a changed target keeps it in. The same rule as the records (shared/food-safety/core-track.ts).
   */
  private foodIn(deviceId: string, cook: CookRef | null): boolean {
    if (cook === null || cook.state === 'stopped') return false;
    if (cook.state === 'holding' || cook.state === 'done') {
      this.foodInCook.set(deviceId, cook.id);
      return true;
    }
    return this.foodInCook.get(deviceId) === cook.id;
  }

  private tracker(deviceId: string, cook: CookRef | null): SafetyTracker | null {
    const food = cook ? foodSpecOf(cook.spec) : null;
    if (!cook || !food) {
      this.trackers.delete(deviceId);
      return null;
    }
    // The same cook with the same food keeps its core model across target changes (the food stays in the bath).
    const key = `${cook.id}|${food.kind}|${food.shape}|${food.thicknessMm}`;
    let t = this.trackers.get(deviceId);
    if (!t || t.key !== key) {
      t = new SafetyTracker(key, food);
      this.trackers.set(deviceId, t);
    }
    return t;
  }
}

function movedBy(a: number | null, b: number | null): boolean {
  if (a === null || b === null) return a !== b;
  return Math.abs(a - b) >= MOVE_MS;
}
