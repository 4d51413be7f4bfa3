import type { PathogenTarget } from './foods.js';

/**
 * Log reductions per second at a temperature (Bigelow): 1 / D(T), D(T) = D_ref · 10^((T_ref − T)/z).
 * Below `floorC` the log-linear model is not trusted (pathogens may still grow) and no lethality
 * is credited.
 */
export function logsPerSecond(p: PathogenTarget, tempC: number, floorC: number): number {
  if (tempC < floorC) return 0;
  const dMin = p.dRefMin * 10 ** ((p.tRefC - tempC) / p.zC);
  return 1 / (dMin * 60);
}

/**
 * Core temperature below which no lethality is credited: C. perfringens can still grow up to
 * about 52 °C, and the D/z fits are made from 55 °C up.
 */
export const LETHAL_FLOOR_C = 52;

/**
 * Lowest bath temperature that pasteurizes at all: FSIS Appendix A's lethality tables start at
 * 130 °F (54.4 °C), Baldwin's at 55 °C. A cook whose bath stays below it "never" pasteurizes.
 */
export const MIN_PASTEURIZING_BATH_C = 54.4;
