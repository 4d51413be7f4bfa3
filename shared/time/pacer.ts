/**
 * The batching rule of the gateway's queues (the store's group commit, a broker node's uplinks):
 * idle, a batch leaves at once; under load, at most one leaves every `intervalMs`, and what
 * arrives meanwhile joins the next. The timer only bounds the wait: the owner still asks once per
 * event-loop turn, so a busy loop whose turns outlast the interval sends every turn and never
 * waits for a timer.
 */
export class Pacer {
  /** When the last batch left (performance.now()). */
  private last = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;

  /** `retry` is called when the armed wait ends; it asks `due` again. */
  constructor(
    private readonly intervalMs: number,
    private readonly retry: () => void,
  ) {}

  /**
   * True when a batch may leave now (and counts it as leaving); else arms one timer for the rest
   * of the interval and returns false. `now` sends whatever the interval (a full batch, closing).
   */
  due(now = false): boolean {
    const wait = this.last + this.intervalMs - performance.now();
    if (wait > 0 && !now) {
      this.timer ??= setTimeout(this.fire, Math.ceil(wait));
      return false;
    }
    this.cancel();
    this.last = performance.now();
    return true;
  }

  /** Drops the armed timer (closing, or a batch that left by another way). */
  cancel(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly fire = () => {
    this.timer = undefined;
    this.retry();
  };
}
