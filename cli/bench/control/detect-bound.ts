import { switchRise } from '../../../gateway/control/engine/miss-test.js';
import { DEFAULT_KIT, DS18B20_LSB_C, heatCapacityJPerK } from '../../../shared/thermal/params.js';
import type { Cell } from './closed-loop.js';

/**
 * How soon a missed press can be told from a taken one at all, per cell: an ideal test that knows
 * the plant exactly (element and probe lags, the servo's latency, the element's rate P/C) and
 * fits only the bath's baseline (level and trend, over 40 s before the press and everything after).
 * A miss differs from a hit by r·G(t − latency) (docs/control.md); with one reading a second and
 * the reading's noise σ² (quantisation and conversion noise), the separation after T seconds is
 * D² = Σ (r·G)² / σ² minus what the baseline absorbs, and the best decision at T errs (both ways
 * alike) with probability Φ(−D/2). No test on these readings can do better.
 */
export interface DetectBound {
  /** Error probability of the best possible decision 20 s after the command. */
  errorAt20S: number;
  /** Earliest time after the command at which the best decision errs ≤ 1 % each way, s. */
  within1PctS: number;
  /** The same at ≤ 0.1 %. */
  within01PctS: number;
}

const NOISE_VAR = DS18B20_LSB_C ** 2 / 12 + DEFAULT_KIT.noiseSdC ** 2;
const PRE_S = 40;

export function detectBound(cell: Pick<Cell, 'volumeL' | 'heaterW' | 'servoLatencyMs'>): DetectBound {
  const shape = {
    deadS: cell.servoLatencyMs / 1000,
    tauHeaterS: DEFAULT_KIT.heaterTauS,
    tauProbeS: DEFAULT_KIT.probeTauS,
    rateCPerS: cell.heaterW / heatCapacityJPerK(cell),
  };
  const d2 = (T: number) => {
    let n = 0;
    let sx = 0;
    let sxx = 0;
    let sy = 0;
    let sxy = 0;
    let syy = 0;
    for (let x = -PRE_S; x <= T; x++) {
      const y = shape.rateCPerS * switchRise(x - shape.deadS, shape);
      n++;
      sx += x;
      sxx += x * x;
      sy += y;
      sxy += x * y;
      syy += y * y;
    }
    const cxx = sxx - (sx * sx) / n;
    const cxy = sxy - (sx * sy) / n;
    return (syy - (sy * sy) / n - (cxy * cxy) / cxx) / NOISE_VAR;
  };
  const firstAt = (d: number) => {
    for (let T = 1; T <= 300; T++) if (d2(T) >= d * d) return T;
    return Number.POSITIVE_INFINITY;
  };
  return { errorAt20S: normalTail(Math.sqrt(d2(20)) / 2), within1PctS: firstAt(2 * 2.326), within01PctS: firstAt(2 * 3.09) };
}

/** P(Z > z) for a standard normal (Abramowitz–Stegun 26.2.17, |error| < 1e-7). */
function normalTail(z: number): number {
  const t = 1 / (1 + 0.2316419 * Math.abs(z));
  const p = t * (0.31938153 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
  const tail = (Math.exp((-z * z) / 2) / Math.sqrt(2 * Math.PI)) * p;
  return z >= 0 ? tail : 1 - tail;
}
