import { AckSchedule } from '../../shared/thermal/ack-schedule.js';
import type { KitParams } from '../../shared/thermal/params.js';
import { ThermalSim } from '../../shared/thermal/simulator.js';
import {
  type ControlInput,
  controlStep,
  DEFAULT_CONTROL,
  type DeviceControlState,
  initialControlState,
} from '../control/device-control.js';
import type { ControlEvent } from '../control/types.js';

/**
 * The control core against the thermal simulator, in simulated time, for tests that assert on
 * data: every command the kit received, every event, and the bath each second (the water, the
 * cooker's real switch, the over-temperature limit, and whether the probe was in the water).
 */
export interface Sent {
  tS: number;
  op: 'press' | 'safe';
  expect?: 'on' | 'off';
}

export interface ClosedLoop {
  sim: ThermalSim;
  state: DeviceControlState;
  sent: Sent[];
  events: (ControlEvent & { tS: number })[];
  bath: { tS: number; waterC: number; on: boolean; limitC: number; probeOut: boolean }[];
  targetC: number;
  /** Acks on their way back: the kit sends each after its servo's motion. */
  acks: AckSchedule<ControlInput>;
}

/** A kit in its bath (seed 4 unless given) with a cook at `targetC`. */
export function startLoop(params: Partial<KitParams>, targetC: number): ClosedLoop {
  const sim = new ThermalSim({ seed: 4, ...params });
  const run: ClosedLoop = { sim, state: initialControlState(), sent: [], events: [], bath: [], targetC, acks: new AckSchedule() };
  applyLoop(run, { kind: 'cook_start', spec: { targetC } });
  return run;
}

/** One input to control; a command goes to the simulated kit, and its Ack back to control when the kit sends it. */
export function applyLoop(run: ClosedLoop, input: ControlInput): void {
  const r = controlStep(run.state, input, run.sim.nowMs);
  run.state = r.state;
  const tS = run.sim.tMs / 1000;
  for (const e of r.events) run.events.push({ ...e, tS });
  if (r.decision.kind === 'none') return;
  const cmd = r.decision.kind === 'press' ? { op: 'press' as const, expect: r.decision.expect } : { op: 'safe' as const };
  run.sent.push({ tS, ...cmd });
  const ack = run.sim.command(cmd);
  const answer: ControlInput = { kind: 'ack', ...cmd, ok: ack.ok, heater: ack.heater };
  if (ack.afterMs === 0) applyLoop(run, answer);
  else run.acks.add(run.sim.tMs + ack.afterMs, answer);
}

/** `n` simulated seconds: the bath steps, the kit reports, the clock ticks. */
export function secondsLoop(run: ClosedLoop, n: number): void {
  for (let i = 0; i < n; i++) {
    run.acks.step(run.sim, 1000, (ack) => applyLoop(run, ack));
    const m = run.sim.telemetry();
    applyLoop(run, { kind: 'telemetry', reading: { tempC: m.tempC, sensor: m.sensor, heater: m.heater, boot: m.boot } });
    applyLoop(run, { kind: 'tick' });
    const limitC = Math.min(DEFAULT_CONTROL.watchdog.absoluteMaxC, run.targetC + DEFAULT_CONTROL.watchdog.overTargetC);
    run.bath.push({
      tS: run.sim.tMs / 1000,
      waterC: run.sim.waterC,
      on: run.sim.heaterOn,
      limitC,
      probeOut: run.sim.fault === 'out_of_bath',
    });
  }
}

/** Simulated seconds until the cook reports `reached` (at most `maxS`); returns the time then, s. */
export function untilReachedLoop(run: ClosedLoop, maxS = 3 * 3600): number {
  for (let s = 0; s < maxS && !run.events.some((e) => e.type === 'reached'); s++) secondsLoop(run, 1);
  return run.sim.tMs / 1000;
}
