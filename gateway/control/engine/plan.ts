import { minCycleS } from '../budget.js';
import type { EngineConfig } from '../config.js';
import type { Fit } from '../slope.js';
import type { EngineState } from './state.js';

/**
 * When to press. A toggle-only heater with latency and lag cannot be steered continuously, so the
 * engine plans in two modes:
 * - ramp (far from target): heater on; off as soon as the peak predicted from the measured rate
 *   of rise and the learned lag (T + rate × lag) reaches the aim;
 * - pulse (holding): heater on when the trough predicted from the cooling rate (T − cool × lag)
 *   reaches target − A, for a planned on-time t_on; off after t_on. t_on is the shortest the
 *   budget allows (min dwell, the time a press takes to be confirmed, and the hourly cap spread
 *   over energy-balanced cycles), and A = gain × t_on / 2 centres the swing on the target.
 */
export interface Plan {
  want: boolean;
  mode: 'ramp' | 'pulse';
  plannedOnMs: number;
  reason: string;
}

export interface PulseShape {
  onS: number;
  halfSwingC: number;
  gainCPerS: number;
}

export function pulseShape(cfg: EngineConfig, s: EngineState): PulseShape {
  const L = s.learn;
  const gain = L.pulseSamples > 0 ? L.pulseGainCPerS : L.heatCPerS + L.coolCPerS;
  // Energy balance over one cycle: gain × t_on = cool × period, and period ≥ the budget's cycle.
  const paced = (minCycleS(cfg) * L.coolCPerS) / Math.max(gain, 1e-4);
  const onS = Math.max(cfg.minDwellMs / 1000, L.verifyOnS + 2, paced, s.pace.pacedOnS);
  return { onS, halfSwingC: Math.max(0.05, (gain * onS) / 2), gainCPerS: gain };
}

export function planHeater(cfg: EngineConfig, s: EngineState, fit: Fit, nowMs: number, targetC: number): Plan {
  const shape = pulseShape(cfg, s);
  const A = shape.halfSwingC;
  const lagS = s.learn.lagS;
  const ep = s.episode;
  if (s.actual) {
    const mode = ep?.mode ?? 'ramp';
    if (fit.level >= targetC + A + 0.2) return off(mode, `${fmt(fit.level)} °C is above the band`);
    if (mode === 'pulse' && ep !== null) {
      const onMs = nowMs - ep.onMs;
      return onMs >= ep.plannedOnMs
        ? off(mode, `pulse of ${Math.round(onMs / 1000)} s delivered`)
        : { want: true, mode, plannedOnMs: ep.plannedOnMs, reason: 'pulse running' };
    }
    const aim = s.cook?.reachedMs == null ? targetC - 0.05 : targetC + A / 2;
    const peak = fit.level + Math.max(fit.slope, 0) * lagS;
    return peak >= aim
      ? off(mode, `anticipated peak ${fmt(peak)} °C ≥ ${fmt(aim)} °C (rate ${fmt(fit.slope * 60)} °C/min × lag ${Math.round(lagS)} s)`)
      : { want: true, mode, plannedOnMs: 0, reason: 'heating' };
  }
  // Still coasting up after an off-press: the trough is not in sight yet.
  if (ep !== null && ep.offMs !== null && !ep.peakSeen && fit.slope > 0 && fit.level > targetC - 2 * A) {
    return { want: false, mode: 'pulse', plannedOnMs: 0, reason: 'coasting to the peak' };
  }
  const cool = Math.max(s.learn.coolCPerS, -fit.slope);
  const trough = fit.level - cool * lagS;
  if (trough > targetC - A) return { want: false, mode: 'pulse', plannedOnMs: 0, reason: 'coasting' };
  const deficit = targetC + A - trough;
  if (deficit > 4 * A) {
    return { want: true, mode: 'ramp', plannedOnMs: 0, reason: `${fmt(fit.level)} °C is ${fmt(targetC - fit.level)} °C below target` };
  }
  const onS = Math.max(shape.onS, deficit / shape.gainCPerS);
  return {
    want: true,
    mode: 'pulse',
    plannedOnMs: Math.round(onS * 1000),
    reason: `anticipated trough ${fmt(trough)} °C ≤ ${fmt(targetC - A)} °C (cool ${fmt(cool * 60)} °C/min × lag ${Math.round(lagS)} s); pulse ${Math.round(onS)} s`,
  };
}

function off(mode: 'ramp' | 'pulse', reason: string): Plan {
  return { want: false, mode, plannedOnMs: 0, reason };
}

export function fmt(v: number): string {
  return (Math.round(v * 100) / 100).toFixed(2);
}
