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
 * Core temperature below which no lethality is credited: C. perfringens can still grow up to
 * about 52 °C, and the D/z fits are made from 55 °C up. A core climbing to a 55 °C bath spends
 * most of its last hour between 54 and 55 °C, and Baldwin's 55 °C column credits it there too.
 */
export const LETHAL_FLOOR_C = 52;

/**
 * Lowest bath temperature that pasteurizes at all: FSIS Appendix A's lethality tables start at
 * 130 °F (54.4 °C), Baldwin's at 55 °C. A cook whose bath stays below it "never" pasteurizes, and
 * nothing is credited while the bath is below it (pasteurize.ts `advance`): a core warmed to
 * 54 °C in a 54 °C bath was reported pasteurized after hours while the forecast said "never".
 */
export const MIN_PASTEURIZING_BATH_C = 54.4;
