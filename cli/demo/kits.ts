import type { KitParams } from '../../shared/thermal/index.js';

/**
 * The demo's simulated kits: different baths so the fleet view is not five copies of one line,
 * plus two misbehaving kits so the alarms page has something real to show.
 */
export interface DemoKit {
  id: string;
  /** What the kit stands for, printed at start. */
  about: string;
  params: Partial<KitParams>;
}

export const DEMO_KITS: readonly DemoKit[] = [
  { id: 'kit-steak', about: '8 L pot, 1000 W', params: { volumeL: 8, heaterW: 1000, uaWPerK: 2, seed: 11 } },
  // A small pot started with hot tap water: heats to a cook temperature in minutes, good for trying a cook.
  {
    id: 'kit-eggs',
    about: '3 L pot, 1200 W, hot tap water',
    params: { volumeL: 3, heaterW: 1200, uaWPerK: 1.5, startC: 42, seed: 12 },
  },
  { id: 'kit-brisket', about: '20 L cooler, 1200 W, insulated', params: { volumeL: 20, heaterW: 1200, uaWPerK: 0.8, seed: 13 } },
  // Flaky probe: about one conversion in eight fails its CRC, so now and then three in a row trip a sensor fault.
  {
    id: 'kit-flaky',
    about: '6 L pot, flaky probe (CRC errors)',
    params: { volumeL: 6, heaterW: 1000, uaWPerK: 2, crcProb: 0.12, seed: 14 },
  },
  // Missing press: the servo misses the button most of the time (press_missed, then actuator_fault).
  {
    id: 'kit-nopress',
    about: '8 L pot, servo misses the button',
    params: { volumeL: 8, heaterW: 1000, uaWPerK: 2, missProb: 0.7, seed: 15 },
  },
];
