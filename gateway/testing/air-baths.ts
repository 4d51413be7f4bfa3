import type { KitParams } from '../../shared/thermal/params.js';

/**
 * The six baths the probe-in-air benchmark and its tests slip a probe out of (3–15 L, 800–1200 W,
 * open and insulated; the 3 L pot with a slow 60 s element).
 */
export const AIR_BATHS: readonly Partial<KitParams>[] = Object.freeze([
  { volumeL: 3, heaterW: 800, uaWPerK: 5, heaterTauS: 60 },
  { volumeL: 5, heaterW: 1200, uaWPerK: 5 },
  { volumeL: 8, heaterW: 1000, uaWPerK: 2 },
  { volumeL: 8, heaterW: 800, uaWPerK: 5 },
  { volumeL: 15, heaterW: 800, uaWPerK: 0.6 },
  { volumeL: 15, heaterW: 1200, uaWPerK: 5 },
]);
