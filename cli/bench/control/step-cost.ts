import { performance } from 'node:perf_hooks';
import { controlStep, initialControlState } from '../../../gateway/control/device-control.js';
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
  return { steps: samples.length, p50Us: at(0.5), p99Us: at(0.99), maxUs: samples[samples.length - 1]! };
}
