import { type ControlInput, controlStep, type DeviceControlState, initialControlState } from '../../../gateway/control/device-control.js';
import type { Decision } from '../../../gateway/control/types.js';
import { AckSchedule } from '../../../shared/thermal/ack-schedule.js';
import { physicalMinHeatUpMs } from '../../../shared/thermal/params.js';
import { ThermalSim } from '../../../shared/thermal/simulator.js';
import { type HysteresisState, hysteresisStep } from './hysteresis.js';

/**
 * One closed-loop run in simulated time: the real engine + watchdog (or the hysteresis baseline)
 * against the thermal simulator, 1 Hz telemetry, commands delivered at once (the servo latency is
 * the simulator's). Measures what docs/control.md asks, on the true water temperature (what the food sees).
 */
export interface Cell {
  volumeL: number;
  heaterW: number;
  uaWPerK: number;
  servoLatencyMs: number;
  missProb: number;
  seed: number;
}

export type ControllerKind = 'engine' | 'hysteresis';

export interface RunOptions {
  targetC?: number;
  hours?: number;
  /** Inject a probe disconnect at the first heater-on moment after this time (engine only). */
  faultAfterS?: number | null;
  /** Keep a trace (every traceEveryS) for plots. */
  traceEveryS?: number;
}

export interface TracePoint {
  tS: number;
  waterC: number;
  probeC: number | null;
  heaterOn: boolean;
}

export interface RunMetrics {
  heatUpS: number | null;
  physMinS: number;
  heatUpRatio: number | null;
  overshootC: number | null;
  p95ErrC: number | null;
  maxErrC: number | null;
  pressesPerHour: number;
  maxPressesInHour: number;
  missed: number;
  detected: number;
  detectMaxS: number | null;
  detectMeanS: number | null;
  /** Misses detected within GOALS.detectWithinS of their command. */
  detectedInTime: number;
  /** `press_missed` / `state_drift` that named a press that had in fact worked (the heater was as commanded). */
  falseMisses: number;
  faultToOffS: number | null;
  faultToOffAfterThirdS: number | null;
  trace: TracePoint[];
  /** With a trace: commands sent and misses detected (for plots). */
  marks: { tS: number; kind: 'press_on' | 'press_off' | 'safe' | 'miss_detected' }[];
}

/** The control goals (docs/control.md) beyond the per-cell targets of matrix.ts. */
export const GOALS = {
  /** Every detected miss within this of its command, in every cell. */
  detectWithinS: 20,
  /** Share of all misses detected. */
  detectedShare: 0.95,
  /** Without misses, p95 |error| ≤ the dwell floor + this, in every cell. */
  floorMarginC: 0.15,
} as const;

const REACH_MARGIN_C = 0.3;
const SETTLE_S = 900;

export function runCell(cell: Cell, kind: ControllerKind, opts: RunOptions = {}): RunMetrics {
  const targetC = opts.targetC ?? 60;
  const totalS = Math.round((opts.hours ?? 3) * 3600);
  const faultAfterS = kind === 'engine' ? (opts.faultAfterS ?? null) : null;
  const sim = new ThermalSim({ ...cell });
  const spec = { targetC };
  let ctl: DeviceControlState = initialControlState();
  let hyst: HysteresisState = { lastPressMs: null };
  const marks: RunMetrics['marks'] = [];
  const misses: number[] = []; // command time (sim ms) of presses that missed, not yet detected
  const detectS: number[] = [];
  let falseMisses = 0;
  const onDetect = (nowMs: number) => {
    const at = misses.shift();
    if (at !== undefined) detectS.push((nowMs - at) / 1000);
  };
  const apply = (input: ControlInput): Decision => {
    const r = controlStep(ctl, input, sim.nowMs);
    ctl = r.state;
    for (const e of r.events) {
      if (e.type === 'press_missed' || e.type === 'state_drift') {
        // The engine now infers the heater the other way; if the real switch disagrees, the detection was false.
        const inferredOn = e.type === 'press_missed' ? e.data?.expect === 'off' : e.data?.inferred === 'on';
        if (inferredOn !== sim.heaterOn) {
          falseMisses++;
          continue;
        }
        onDetect(sim.tMs);
        if (opts.traceEveryS) marks.push({ tS: sim.tMs / 1000, kind: 'miss_detected' });
      }
    }
    return r.decision;
  };
  if (kind === 'engine') apply({ kind: 'cook_start', spec });

  const commandTimes: number[] = [];
  let missed = 0;
  let lastCmdMs = 0;
  let reachS: number | null = null;
  let runMax = Number.NEGATIVE_INFINITY;
  let peakC: number | null = null;
  const errs: number[] = [];
  const trace: TracePoint[] = [];
  let faultAtS: number | null = null;
  let thirdBadS: number | null = null;
  let badCount = 0;
  let offAtS: number | null = null;
  // Error statistics stop where a fault is injected, for both controllers alike.
  const holdEndS = opts.faultAfterS ?? totalS;

  // The kit acks each command after its servo's motion (control takes the kit's belief from the Ack).
  const acks = new AckSchedule<ControlInput>();
  const send = (decision: Decision) => {
    if (decision.kind === 'none') return;
    lastCmdMs = sim.tMs;
    const tS = sim.tMs / 1000;
    commandTimes.push(tS);
    if (opts.traceEveryS)
      marks.push({ tS, kind: decision.kind === 'press' ? (decision.expect === 'on' ? 'press_on' : 'press_off') : 'safe' });
    const cmd = decision.kind === 'press' ? { op: 'press' as const, expect: decision.expect } : { op: 'safe' as const };
    const ack = sim.command(cmd);
    if (kind === 'engine') acks.add(sim.tMs + ack.afterMs, { kind: 'ack', ...cmd, ok: ack.ok, heater: ack.heater });
  };

  for (let s = 1; s <= totalS; s++) {
    const missedBefore = sim.missed;
    acks.step(sim, 1000, (ack) => send(apply(ack)));
    if (sim.missed > missedBefore) {
      missed++;
      misses.push(lastCmdMs);
    }
    // The probe fails while the heater is on as commanded (the kit believes it on too).
    if (faultAfterS !== null && faultAtS === null && s >= faultAfterS && sim.heaterOn && sim.belief) {
      sim.injectFault('disconnected');
      faultAtS = s;
    }
    const tel = sim.telemetry();
    if (faultAtS !== null && tel.sensor !== 'ok' && ++badCount === 3) thirdBadS = s;
    if (faultAtS !== null && offAtS === null && !sim.heaterOn) offAtS = s;
    const reading = { tempC: tel.tempC, sensor: tel.sensor, heater: tel.heater, boot: tel.boot };
    let decision: Decision;
    if (kind === 'engine') {
      decision = apply({ kind: 'telemetry', reading });
      const tick = apply({ kind: 'tick' });
      if (decision.kind === 'none') decision = tick;
    } else {
      const h = hysteresisStep(hyst, spec, reading, sim.nowMs);
      hyst = h.state;
      decision = h.decision;
    }
    send(decision);
    const w = sim.waterC;
    if (reachS === null && w >= targetC - REACH_MARGIN_C) reachS = s;
    if (reachS !== null && peakC === null) {
      runMax = Math.max(runMax, w);
      if (w < runMax - 0.15) peakC = runMax;
    }
    if (reachS !== null && s >= reachS + SETTLE_S && s < holdEndS) errs.push(Math.abs(w - targetC));
    if (opts.traceEveryS && s % opts.traceEveryS === 0) trace.push({ tS: s, waterC: w, probeC: tel.tempC, heaterOn: sim.heaterOn });
  }

  const physMinS = physicalMinHeatUpMs(sim.p, targetC - REACH_MARGIN_C) / 1000;
  errs.sort((a, b) => a - b);
  const holdS = reachS === null ? 0 : holdEndS - (reachS + SETTLE_S);
  const holdPresses = reachS === null ? 0 : commandTimes.filter((t) => t >= reachS! + SETTLE_S && t < holdEndS).length;
  return {
    heatUpS: reachS,
    physMinS,
    heatUpRatio: reachS === null ? null : reachS / physMinS,
    overshootC: peakC === null ? (reachS === null ? null : Math.max(0, runMax - targetC)) : Math.max(0, peakC - targetC),
    p95ErrC: errs.length === 0 ? null : errs[Math.min(errs.length - 1, Math.floor(errs.length * 0.95))]!,
    maxErrC: errs.length === 0 ? null : errs[errs.length - 1]!,
    pressesPerHour: holdS > 0 ? (holdPresses * 3600) / holdS : 0,
    maxPressesInHour: maxInWindow(commandTimes, 3600),
    missed,
    detected: detectS.length,
    detectMaxS: detectS.length === 0 ? null : Math.max(...detectS),
    detectMeanS: detectS.length === 0 ? null : detectS.reduce((a, b) => a + b, 0) / detectS.length,
    detectedInTime: detectS.filter((x) => x <= GOALS.detectWithinS).length,
    falseMisses,
    faultToOffS: faultAtS === null || offAtS === null ? null : offAtS - faultAtS,
    faultToOffAfterThirdS: thirdBadS === null || offAtS === null ? null : Math.max(0, offAtS - thirdBadS),
    trace,
    marks,
  };
}

function maxInWindow(times: number[], windowS: number): number {
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < times.length; hi++) {
    while (times[hi]! - times[lo]! >= windowS) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}
