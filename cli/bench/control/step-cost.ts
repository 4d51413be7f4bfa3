import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { controlStep, type DeviceControlState, initialControlState } from '../../../gateway/control/device-control.js';
import { ThermalSim } from '../../../shared/thermal/simulator.js';

/**
 * CPU cost of one control step (engine + watchdog) per telemetry message, measured on 4 kits ×
 * 3 h of simulated telemetry. Machine-dependent (unlike the control figures): printed, not
 * asserted. The gateway's telemetry → command latency adds its own I/O on top.
 */
export interface StepCost {
  steps: number;
  p50Us: number;
  p99Us: number;
  maxUs: number;
  /** Heap per kit of one device's control state (engine + watchdog) mid-cook, bytes. */
  bytesPerKit: number | null;
}

export function measureStepCost(): StepCost {
  const samples: number[] = [];
  for (const volumeL of [5, 8, 15, 8]) {
    const sim = new ThermalSim({ volumeL, missProb: 0.05, seed: volumeL });
    let st = controlStep(initialControlState(), { kind: 'cook_start', spec: { targetC: 60 } }, sim.nowMs).state;
    for (let s = 0; s < 3 * 3600; s++) {
      sim.step(1000);
      const m = sim.telemetry();
      const t0 = performance.now();
      const r = controlStep(
        st,
        { kind: 'telemetry', reading: { tempC: m.tempC, sensor: m.sensor, heater: m.heater, boot: m.boot } },
        sim.nowMs,
      );
      samples.push((performance.now() - t0) * 1000);
      st = r.state;
      if (r.decision.kind !== 'none')
        sim.command(r.decision.kind === 'press' ? { op: 'press', expect: r.decision.expect } : { op: 'safe' });
    }
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(samples.length * q))]!;
  return { steps: samples.length, p50Us: at(0.5), p99Us: at(0.99), maxUs: samples[samples.length - 1]!, bytesPerKit: measureStateBytes() };
}

/**
 * Heap held per kit: 2,000 control states, each 10 min into a cook (its readings ring filled, a
 * press under test), measured as the heap's growth (objects and typed arrays) after a full GC.
 * Null where the runtime refuses a GC on demand.
 */
export function measureStateBytes(kits = 2000): number | null {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('typeof gc === "function" ? gc : null') as (() => void) | null;
  if (gc === null) return null;
  const used = () => {
    gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const sim = new ThermalSim({ volumeL: 5, heaterW: 1200, seed: 3 });
  const readings: { tempC: number | null; t: number }[] = [];
  for (let s = 0; s < 600; s++) {
    sim.step(1000);
    readings.push({ tempC: sim.telemetry().tempC, t: sim.nowMs });
  }
  const before = used();
  const states: DeviceControlState[] = [];
  for (let k = 0; k < kits; k++) {
    let st = controlStep(initialControlState(), { kind: 'cook_start', spec: { targetC: 60 } }, readings[0]!.t - 1000).state;
    for (const r of readings)
      st = controlStep(st, { kind: 'telemetry', reading: { tempC: r.tempC, sensor: 'ok', heater: st.engine.actual } }, r.t).state;
    states.push(st);
  }
  const bytes = (used() - before) / kits;
  return states.length === kits ? Math.round(bytes) : null;
}
