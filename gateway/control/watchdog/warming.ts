import type { WatchdogConfig } from '../config.js';
import { type ControlEvent, event } from '../types.js';
import type { WatchdogState } from './state.js';

/**
 * A probe out of the water that keeps warming (docs/control.md, "A probe in air the bath
 * warms"). While a `fall` fault holds, the gateway has sent `safe`: with the heater off, the
 * water cools and so does the air the bath warms, where a slipped probe usually hangs. A probe
 * that warms `fallWarmingC` over a whole window of `fallWarmingWindowMs` is over a bath that is
 * still heating, or in water the heater still heats: the `safe` missed, the kit believes its
 * heater off, and no further `safe` will press. The fall rule does not take such a slow rise for
 * the probe back in the water (sensor.ts), and the gateway does not press on it: a probe in the
 * air may be warmed by something else (a stove, the sun), and a press on that inference would
 * switch a heater that is off on, unseen. So it is a critical alarm, once a fault, asking a person
 * to switch the cooker off.
 *
 * Windows are fixed, starting at the fault: the first spans the element's coast and the probe's
 * fall to the air, and is not judged. The water test's burst is a planned heating: the windows
 * start again when the test ends, and the first after it (the burst's coast) is not judged either.
 */
export function fallWarming(cfg: WatchdogConfig, d: WatchdogState, c: number, nowMs: number, testing: boolean): ControlEvent | null {
  if (testing) {
    d.warmFromC = null;
    d.warmFromMs = null;
    d.warmSettled = false;
    return null;
  }
  if (d.warmFromC === null || d.warmFromMs === null) {
    d.warmFromC = c;
    d.warmFromMs = nowMs;
    return null;
  }
  if (nowMs - d.warmFromMs < cfg.fallWarmingWindowMs) return null;
  const riseC = c - d.warmFromC;
  const settled = d.warmSettled;
  d.warmFromC = c;
  d.warmFromMs = nowMs;
  d.warmSettled = true;
  if (!settled || d.warmAlarmed || riseC < cfg.fallWarmingC) return null;
  d.warmAlarmed = true;
  return event('heater_state_unknown', 'critical', true, {
    probe: 'out_of_water',
    warmingC: Math.round(riseC * 100) / 100,
    overMin: Math.round(cfg.fallWarmingWindowMs / 60_000),
  });
}
