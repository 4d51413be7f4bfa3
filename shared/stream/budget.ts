import type { Framed } from './message.js';

/**
 * The reading budget of fleet streams (`stream.fleetReadingBytesPerSec`, ADR 040): a token bucket
 * of bytes a second (one second's worth of burst) in front of a queue holding at most one reading
 * per kit. A newer reading of a kit still queued replaces it in place (conflated, counted); a kit
 * that is sent goes to the back when its next reading comes. So the queue is served oldest-waiting
 * kit first, round-robin: under the budget every reading passes at once; over it every kit is
 * still refreshed, at (kits × reading size ÷ budget) seconds at worst, and none starves. Pure:
 * time is passed in. One budget serves every fleet stream of a scope (they share the bytes).
 */
export class ReadingBudget {
  private readonly queue = new Map<string, Framed>();
  private tokens: number;
  private last: number | undefined;

  constructor(
    private readonly bytesPerSec: number,
    private readonly onConflated: () => void = () => {},
  ) {
    this.tokens = bytesPerSec;
  }

  /** Readings waiting for budget. */
  get backlog(): number {
    return this.queue.size;
  }

  /** A reading for the fleet streams (its key is the kit). */
  offer(f: Framed): void {
    const key = f.deviceId ?? '';
    if (this.queue.has(key)) this.onConflated();
    this.queue.set(key, f); // a key already queued keeps its place
  }

  /** The readings the budget allows now, oldest-waiting kit first. */
  take(now: number): Framed[] {
    // A clock stepped back refills nothing (and takes nothing away): the budget does not wait the step out.
    if (this.last !== undefined)
      this.tokens = Math.min(this.bytesPerSec, this.tokens + (Math.max(0, now - this.last) * this.bytesPerSec) / 1000);
    this.last = now;
    const out: Framed[] = [];
    // While any budget is left the next reading goes, even if larger than what is left: the debt is
    // paid back before the next one, so the rate holds and a reading larger than the budget cannot starve.
    for (const [key, f] of this.queue) {
      if (this.tokens <= 0) break;
      this.tokens -= f.frame.length;
      this.queue.delete(key);
      out.push(f);
    }
    return out;
  }
}
