import type { Framed } from './message.js';

/**
 * The last `capacity` messages of one scope, oldest evicted first, found by id for Last-Event-ID
 * resume. Pure and bounded: memory is capacity × message size whatever the traffic.
 */
export class Ring {
  private readonly buf: (Framed | undefined)[];
  private readonly at = new Map<string, number>();
  /** Absolute index of the next push. */
  private next = 0;

  constructor(readonly capacity: number) {
    this.buf = new Array(capacity);
  }

  get size(): number {
    return Math.min(this.next, this.capacity);
  }

  push(f: Framed): void {
    const slot = this.next % this.capacity;
    const old = this.buf[slot];
    if (old) this.at.delete(old.id);
    this.buf[slot] = f;
    this.at.set(f.id, this.next);
    this.next++;
  }

  newest(): Framed | undefined {
    return this.next === 0 ? undefined : this.buf[(this.next - 1) % this.capacity];
  }

  /** The messages after `id`, oldest first; null when `id` is not held (evicted, or never seen here). */
  since(id: string): Framed[] | null {
    const i = this.at.get(id);
    if (i === undefined) return null;
    const out: Framed[] = [];
    for (let j = i + 1; j < this.next; j++) out.push(this.buf[j % this.capacity] as Framed);
    return out;
  }
}
