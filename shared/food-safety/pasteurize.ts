import { Conduction } from './conduction.js';
import { FOODS, type FoodKind, type FoodShape } from './foods.js';
import { LETHAL_FLOOR_C, logsPerSecond, MIN_PASTEURIZING_BATH_C } from './lethality.js';

/** What the core model needs to know about the food. */
export interface FoodSpec {
  kind: FoodKind;
  shape: FoodShape;
  thicknessMm: number;
  /** Food temperature when it goes into the bath (Baldwin's tables: 5 °C, from the fridge). */
  startC?: number;
}

export const DEFAULT_FOOD_START_C = 5;

/** Longest step the integrator takes; bath readings further apart are held for the gap. */
const MAX_STEP_S = 30;
/** Hottest bath the conduction model is driven with: water boils. */
const MAX_BATH_C = 100;

/**
 * The core of one piece of food in the bath: its temperature (1-D conduction driven by the
 * measured bath) and the log reductions of each of the food's reference pathogens so far.
 * Feed it the bath temperature as time passes (`advance`); ask it when the core will be
 * pasteurized if the bath holds a given temperature (`forecastSafeS`).
 */
export class CoreModel {
  readonly spec: FoodSpec;
  private readonly body: Conduction;
  /** Log reductions reached so far, per target (same order as FOODS[kind].targets). */
  readonly logs: number[];
  elapsedS = 0;

  constructor(spec: FoodSpec) {
    this.spec = spec;
    const food = FOODS[spec.kind];
    this.body = new Conduction(food.thermal, spec.shape, spec.thicknessMm, spec.startC ?? DEFAULT_FOOD_START_C);
    this.logs = food.targets.map(() => 0);
  }

  get coreC(): number {
    return this.body.coreC;
  }

  /** The least-advanced target as a fraction of its need (1 = pasteurized). */
  get progress(): number {
    const targets = FOODS[this.spec.kind].targets;
    return Math.min(...targets.map((p, i) => this.logs[i]! / p.logs));
  }

  get pasteurized(): boolean {
    return this.progress >= 1;
  }

  /**
   * Advance dtS seconds with the bath at bathC (long gaps are split). `credit` false: the core
   * moves but no lethality is credited (time nobody observed, see core-track.ts). A bath above
   * boiling is taken as 100 °C (water in an open bath cannot be hotter; a reading above is a glitch).
   */
  advance(dtS: number, bathC: number, credit = true): void {
    const bath = Math.min(MAX_BATH_C, bathC);
    let left = dtS;
    while (left > 1e-9) {
      const h = Math.min(MAX_STEP_S, left);
      const before = this.body.coreC;
      this.body.step(h, bath);
      // Nothing is credited while the bath itself is below the lowest pasteurizing temperature.
      if (credit && bath >= MIN_PASTEURIZING_BATH_C) this.credit(h, (before + this.body.coreC) / 2);
      left -= h;
      this.elapsedS += h;
    }
  }

  private credit(dtS: number, coreC: number): void {
    const food = FOODS[this.spec.kind];
    const targets = food.targets;
    for (let i = 0; i < targets.length; i++) this.logs[i]! += dtS * logsPerSecond(targets[i]!, coreC, LETHAL_FLOOR_C, food.creditCeilingC);
  }

  /** A copy to run a forecast on without touching this one. */
  clone(): CoreModel {
    const c = new CoreModel(this.spec);
    c.body.t.set(this.body.t);
    for (let i = 0; i < this.logs.length; i++) c.logs[i] = this.logs[i]!;
    c.elapsedS = this.elapsedS;
    return c;
  }

  /**
   * Seconds from now until the core is pasteurized if the bath follows `bathAt(s)` (s from now),
   * or null ("never") when it is not reached within `horizonS` or the bath settles below the
   * lowest pasteurizing temperature. 0 when already pasteurized.
   */
  forecastSafeS(bathAt: (s: number) => number, horizonS: number): number | null {
    if (this.pasteurized) return 0;
    if (bathAt(horizonS) < MIN_PASTEURIZING_BATH_C) return null;
    const sim = this.clone();
    for (let s = 0; s < horizonS; s += MAX_STEP_S) {
      const before = sim.progress;
      sim.advance(MAX_STEP_S, bathAt(s));
      if (sim.pasteurized) return s + interpolate(before, sim.progress) * MAX_STEP_S;
    }
    return null;
  }
}

/** Where inside the last step progress crossed 1. */
function interpolate(before: number, after: number): number {
  if (after <= before) return 1;
  return Math.min(1, Math.max(0, (1 - before) / (after - before)));
}

/**
 * Baldwin's table setting: food at `startC` into a bath held at `bathC`; minutes until the core
 * is pasteurized, or null within `horizonH`.
 */
export function pasteurizationMinutes(spec: FoodSpec, bathC: number, horizonH = 48): number | null {
  const s = new CoreModel(spec).forecastSafeS(() => bathC, horizonH * 3600);
  return s === null ? null : s / 60;
}
