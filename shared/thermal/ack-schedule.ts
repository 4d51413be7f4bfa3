import type { ThermalSim } from './simulator.js';

/**
 * The Acks a simulated kit has yet to send, in simulated time. A kit acks after the servo's
 * motion (`SimAck.afterMs`, docs/protocol.md), and what control makes of an Ack (the kit's
 * belief) depends on what it saw before, so a closed loop hands each one over at its own moment,
 * stepping the bath to it.
 */
export class AckSchedule<T> {
  private readonly due: { tMs: number; item: T }[] = [];

  /** `item` reaches control at simulated time `tMs`. */
  add(tMs: number, item: T): void {
    let i = this.due.length;
    while (i > 0 && this.due[i - 1]!.tMs > tMs) i--;
    this.due.splice(i, 0, { tMs, item });
  }

  get size(): number {
    return this.due.length;
  }

  /** Steps `sim` by `dtMs`, delivering each Ack due on the way at its moment (one may cause the next). */
  step(sim: ThermalSim, dtMs: number, deliver: (item: T) => void): void {
    const end = sim.tMs + dtMs;
    while (this.due.length > 0 && this.due[0]!.tMs <= end) {
      const next = this.due.shift()!;
      if (next.tMs > sim.tMs) sim.step(next.tMs - sim.tMs);
      deliver(next.item);
    }
    if (end > sim.tMs) sim.step(end - sim.tMs);
  }
}
