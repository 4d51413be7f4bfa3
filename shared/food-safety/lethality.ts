import type { PathogenTarget } from './foods.js';

/**
 * Log reductions per second at a temperature (Bigelow): 1 / D(T), D(T) = D_ref · 10^((T_ref − T)/z).
 * Nothing is credited below `floorC` (the log-linear fits are not trusted there and pathogens may
 * still grow), and a temperature above `ceilingC` is credited as `ceilingC`: the fits are not
 * extrapolated above the range they were made or checked in.
 */
export function logsPerSecond(p: PathogenTarget, tempC: number, floorC: number, ceilingC = Number.POSITIVE_INFINITY): number {
  if (!(tempC >= floorC)) return 0;
  const c = Math.min(tempC, ceilingC);
  const dMin = p.dRefMin * 10 ** ((p.tRefC - c) / p.zC);
  return 1 / (dMin * 60);
}

/**
 * Core temperature below which no lethality is credited: 54.4 °C (130 °F), the lowest temperature
 * of FSIS Appendix A's lethality tables. The D/z fits used here are made from 55 °C up (Baldwin's
 * tables start at 55 °C), and below about 54.4 °C pathogens such as C. perfringens may still grow
 * (FDA Food Code: the danger zone ends at 54.4 °C / 130 °F). Crediting 52–54.4 °C reported food
 * pasteurized that the forecast (MIN_PASTEURIZING_BATH_C) called "never".
 */
export const LETHAL_FLOOR_C = 54.4;

/**
 * Lowest bath temperature that pasteurizes at all: FSIS Appendix A's lethality tables start at
 * 130 °F (54.4 °C), Baldwin's at 55 °C. A cook whose bath stays below it "never" pasteurizes.
 */
export const MIN_PASTEURIZING_BATH_C = 54.4;
