import type { CookSpec } from './cook.js';

/**
 * The food-safety rule for cooks, written once for the gateway and the cloud. FDA Food Code: food
 * held in the danger zone (below 54.4 °C) for more than 4 h is unsafe, so a cook set below it for
 * longer (or with no timer) needs an explicit, audited `lowTempOverride`.
 */
export interface DangerLimits {
  /** Below this, a bath is in the danger zone (°C). */
  dangerHighC: number;
  /** How long food may stay in the danger zone (ms). */
  dangerAlarmMs: number;
}

export const FOOD_CODE: Readonly<DangerLimits> = Object.freeze({ dangerHighC: 54.4, dangerAlarmMs: 4 * 3600_000 });

/** True when the cook holds food in the danger zone longer than allowed (or without a timer). */
export function isLowTempLong(spec: Pick<CookSpec, 'targetC' | 'durationMin'>, limits: DangerLimits = FOOD_CODE): boolean {
  const low = spec.targetC < limits.dangerHighC;
  const long = spec.durationMin === undefined || spec.durationMin * 60_000 > limits.dangerAlarmMs;
  return low && long;
}

/** True when the cook breaks the rule and carries no override. */
export function lowTempOverrideMissing(spec: CookSpec, limits: DangerLimits = FOOD_CODE): boolean {
  return isLowTempLong(spec, limits) && spec.lowTempOverride !== true;
}

/** The rule in words, for error messages: "below 54.4 °C longer than 4 h". */
export function lowTempRuleText(limits: DangerLimits = FOOD_CODE): string {
  return `below ${limits.dangerHighC} °C longer than ${limits.dangerAlarmMs / 3600_000} h`;
}
