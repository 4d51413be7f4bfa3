import type { CookSpec } from '../../../shared/cook.js';
import { CoreModel, type FoodSpec } from '../../../shared/food-safety/index.js';

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
/** Readings further apart than this are a gap: the model holds the last bath over at most this. */
const MAX_GAP_S = 120;

/** The food model of a cook spec, or null when the cook did not name a food kind and thickness. */
export function foodSpecOf(spec: CookSpec): FoodSpec | null {
  if (spec.foodKind === undefined || spec.thicknessMm === undefined) return null;
  return { kind: spec.foodKind, shape: spec.foodShape ?? 'slab', thicknessMm: spec.thicknessMm };
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
  readonly model: CoreModel;
  private lastMs: number | null = null;
  private lastC: number | null = null;
  private heldC: number | null = null;
  private cache: { atMs: number | null; computedMs: number; readyAtMs?: number } | null = null;
  /** When the model first reported the core pasteurized (kept for the record). */
  pasteurizedAtMs: number | null = null;

  constructor(key: string, food: FoodSpec) {
    this.key = key;
    this.model = new CoreModel(food);
  }

  /** A bath reading at nowMs. */
  onBath(nowMs: number, bathC: number): void {
    if (this.lastMs !== null && this.lastC !== null && nowMs > this.lastMs) {
      const dtS = Math.min(MAX_GAP_S, (nowMs - this.lastMs) / 1000);
      this.model.advance(dtS, this.lastC);
      if (this.pasteurizedAtMs === null && this.model.pasteurized) this.pasteurizedAtMs = nowMs;
      const w = 1 - Math.exp(-dtS / HOLD_TAU_S);
      this.heldC = this.heldC === null ? bathC : this.heldC + w * (bathC - this.heldC);
    } else if (this.heldC === null) {
      this.heldC = bathC;
    }
    this.lastMs = nowMs;
    this.lastC = bathC;
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
