import type { CookSpec } from '../../../shared/cook.js';
import { type CoreModel, CoreTrack, type FoodSpec, foodOf } from '../../../shared/food-safety/index.js';

/** How far ahead safe-at is searched; a cook that needs longer "never" pasteurizes. */
export const SAFE_HORIZON_S = 48 * 3600;
/**
 * Recompute the forecast at most this often: it simulates hours of conduction (a few ms for a
 * typical cook, up to ~25 ms for a 48 h horizon), so a gateway with many food cooks pays it
 * once a minute per cook, outside the reading's control step.
 */
const RECOMPUTE_MS = 60_000;
/** Smoothing of the held bath temperature the forecast assumes (a sag pulls it down). */
const HOLD_TAU_S = 300;
/** The food model of a cook spec, or null when the cook did not name a food kind and thickness. */
export function foodSpecOf(spec: CookSpec): FoodSpec | null {
  return foodOf(spec);
}

export interface SafetyView {
  foodKind: string;
  shape: string;
  thicknessMm: number;
  /** Modelled core temperature, °C. */
  coreC: number;
  /** Share of the needed log reductions reached so far (1 = pasteurized). */
  lethality: number;
  pasteurized: boolean;
  /** The bath will not pasteurize this food (too cool, or more than 48 h). */
  never: boolean;
  guidance: string;
}

export const GUIDANCE = 'Guidance only: a model of the core (docs/food-safety.md), not a measurement.';

/**
 * One cook's core model, driven by the measured bath (each reading), and its safe-at forecast:
 * the bath is assumed to ramp to the target by ready-at while heating, and to stay at its recent
 * (smoothed) measured level once holding, so a sagging bath moves safe-at later.
 */
export class SafetyTracker {
  readonly key: string;
  /** The core, fed by the rules the cook records use too (shared/food-safety/core-track.ts). */
  private readonly track: CoreTrack;
  private heldC: number | null = null;
  private cache: { atMs: number | null; computedMs: number; readyAtMs?: number } | null = null;
  constructor(key: string, food: FoodSpec) {
    this.key = key;
    this.track = new CoreTrack(food);
  }

  get model(): CoreModel {
    return this.track.model;
  }
  private get lastMs(): number | null {
    return this.track.lastMs;
  }
  private get lastC(): number | null {
    return this.track.lastC;
  }
  /** When the model first reported the core pasteurized (kept for the record). */
  get pasteurizedAtMs(): number | null {
    return this.track.pasteurizedTs;
  }

  /**
   * A bath reading at nowMs. The core follows the lower of two successive readings, and a gap of
   * more than two minutes moves the core without crediting any lethality (core-track.ts).
   */
  onBath(nowMs: number, bathC: number): void {
    const dtMs = this.track.onBath(nowMs, bathC);
    if (dtMs > 0 && this.heldC !== null) {
      const w = 1 - Math.exp(-dtMs / 1000 / HOLD_TAU_S);
      this.heldC = this.heldC + w * (bathC - this.heldC);
    } else if (this.heldC === null) {
      this.heldC = bathC;
    }
  }

  /**
   * Before the food goes in (the bath is still heating): when a core that goes in at `readyAtMs`,
   * fridge-cold, into water held at `targetC` is pasteurized; null for never (a target too low,
   * or more than the horizon). Epoch ms.
   */
  safeAtFromReady(nowMs: number, targetC: number, readyAtMs: number): number | null {
    if (this.cache && nowMs - this.cache.computedMs < RECOMPUTE_MS && this.cache.readyAtMs === readyAtMs) return this.cache.atMs;
    const s = this.model.forecastSafeS(() => targetC, SAFE_HORIZON_S);
    const atMs = s === null ? null : Math.round(readyAtMs + s * 1000);
    this.cache = { atMs, computedMs: nowMs, readyAtMs };
    return atMs;
  }

  /**
   * Epoch ms at which the core is pasteurized, null for never (or no reading yet). `readyAtMs`:
   * when the bath is forecast to reach `targetC` (null once it has).
   */
  safeAt(nowMs: number, targetC: number, readyAtMs: number | null, reached: boolean): number | null {
    // No bath reading yet (a cook just started): nothing to forecast from, and nothing to cache.
    if (this.lastC === null || this.lastMs === null) return null;
    if (this.cache && nowMs - this.cache.computedMs < RECOMPUTE_MS && this.cache.readyAtMs === undefined) return this.cache.atMs;
    const atMs = this.compute(nowMs, targetC, readyAtMs, reached);
    this.cache = { atMs, computedMs: nowMs };
    return atMs;
  }

  private compute(nowMs: number, targetC: number, readyAtMs: number | null, reached: boolean): number | null {
    if (this.lastC === null || this.lastMs === null) return null;
    if (this.model.pasteurized) return this.pasteurizedAtMs ?? nowMs;
    const fromC = this.lastC;
    let bathAt: (s: number) => number;
    if (reached) {
      const held = this.heldC ?? fromC;
      bathAt = () => held;
    } else if (readyAtMs === null) {
      bathAt = () => fromC; // no forecast of the heat-up: assume it stays where it is
    } else {
      const rampS = Math.max(1, (readyAtMs - nowMs) / 1000);
      bathAt = (s) => (s >= rampS ? targetC : fromC + ((targetC - fromC) * s) / rampS);
    }
    const s = this.model.forecastSafeS(bathAt, SAFE_HORIZON_S);
    return s === null ? null : Math.round(nowMs + s * 1000);
  }

  view(never: boolean): SafetyView {
    const f = this.model.spec;
    return {
      foodKind: f.kind,
      shape: f.shape,
      thicknessMm: f.thicknessMm,
      coreC: Math.round(this.model.coreC * 100) / 100,
      lethality: Math.round(Math.min(1, this.model.progress) * 1000) / 1000,
      pasteurized: this.model.pasteurized,
      never,
      guidance: GUIDANCE,
    };
  }
}
