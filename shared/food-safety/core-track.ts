import type { CookSpec } from '../cook.js';
import { CoreModel, type FoodSpec } from './pasteurize.js';

/**
 * The rules that turn a cook's bath readings into a modelled core and into danger-zone time, shared
 * by the gateway's live model (gateway/control/forecast/safe-at.ts), its watchdog, and the cook
 * records of the gateway and the cloud (cook-record.ts), so that they cannot disagree
 * (docs/adr/087-observed-time-only.md).
 *
 * 1. Between two readings the bath is taken as the **lower** of the two (a lone high reading, a
 *    glitch, cannot heat the core; a falling bath is followed at once).
 * 2. Readings more than `OBSERVED_GAP_MS` apart are a **gap**: nobody saw the bath. The core is
 *    advanced over it with the lower end's bath (it cools toward a bath that may have been that
 *    cold all along), but no lethality is credited for it.
 * 3. Danger-zone time: an interval (a gap too) counts when either end was in the zone
 *    [4.4, 54.4) °C — unknown time is assumed unsafe.
 * 4. The food goes in at the cook's first `reached` (the water ready); a spec change that changes
 *    the food (kind, shape, thickness) starts a new, fridge-cold core at the change (or at the first
 *    `reached` if the water was not ready yet). A changed target keeps the food in.
 */

/** Readings further apart than this are a gap (unobserved time). */
export const OBSERVED_GAP_MS = 120_000;

/** The bath danger zone: bacteria grow between 4.4 °C (40 °F, inclusive) and 54.4 °C (130 °F). */
export const DANGER_LOW_C = 4.4;
export const DANGER_HIGH_C = 54.4;

export interface DangerLimitsC {
  lowC: number;
  highC: number;
}
export const DANGER_ZONE_C: Readonly<DangerLimitsC> = Object.freeze({ lowC: DANGER_LOW_C, highC: DANGER_HIGH_C });

export function inDangerZone(c: number, z: DangerLimitsC = DANGER_ZONE_C): boolean {
  return c >= z.lowC && c < z.highC;
}

/** Whether the time between two readings counts as danger-zone time: when either end was in the zone. */
export function dangerCounts(fromInZone: boolean, toInZone: boolean): boolean {
  return fromInZone || toInZone;
}

/** The bath that drives the core between two readings: the lower of the two. */
export function bathBetween(fromC: number, toC: number): number {
  return Math.min(fromC, toC);
}

/** The food of a spec as a core model's spec, or null when it names no food kind and thickness. */
export function foodOf(spec: CookSpec): FoodSpec | null {
  if (spec.foodKind === undefined || spec.thicknessMm === undefined) return null;
  return { kind: spec.foodKind, shape: spec.foodShape ?? 'slab', thicknessMm: spec.thicknessMm };
}

/** Two specs are the same piece of food when kind, shape and thickness agree (rule 4). */
export function foodKey(spec: CookSpec): string | null {
  const f = foodOf(spec);
  return f === null ? null : `${f.kind}|${f.shape}|${f.thicknessMm}`;
}

/** One piece of food's core, fed with bath readings as they come (rules 1 and 2). */
export class CoreTrack {
  readonly model: CoreModel;
  private lastTs: number | null = null;
  private lastBathC: number | null = null;
  /** When the core first reached its log reductions (the reading's time). */
  pasteurizedTs: number | null = null;
  coreMaxC: number;
  /** Time in gaps (not credited). */
  unobservedMs = 0;

  constructor(food: FoodSpec) {
    this.model = new CoreModel(food);
    this.coreMaxC = this.model.coreC;
  }

  get lastC(): number | null {
    return this.lastBathC;
  }
  get lastMs(): number | null {
    return this.lastTs;
  }

  /** A bath reading at `ts`; returns the interval it closed (ms; 0 for the first or an out-of-order one). */
  onBath(ts: number, c: number): number {
    if (!Number.isFinite(c)) return 0;
    if (this.lastTs === null || this.lastBathC === null) {
      this.lastTs = ts;
      this.lastBathC = c;
      return 0;
    }
    if (ts < this.lastTs) return 0;
    if (ts === this.lastTs) {
      this.lastBathC = Math.min(this.lastBathC, c);
      return 0;
    }
    const dtMs = ts - this.lastTs;
    const observed = dtMs <= OBSERVED_GAP_MS;
    this.model.advance(dtMs / 1000, bathBetween(this.lastBathC, c), observed);
    if (!observed) this.unobservedMs += dtMs;
    this.coreMaxC = Math.max(this.coreMaxC, this.model.coreC);
    if (this.pasteurizedTs === null && this.model.pasteurized) this.pasteurizedTs = ts;
    this.lastTs = ts;
    this.lastBathC = c;
    return dtMs;
  }
}
