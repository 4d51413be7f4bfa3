import type { Logger } from '../shared/log.js';
import { monotonicNow } from '../shared/time/monotonic.js';

/**
 * One info line per refusal (a dead-lettered payload, a failed authentication, an ACL denial), so
 * that a kit developer whose messages "vanish" sees why in the gateway's log. Rate-limited per
 * device and kind of refusal (or per address when there is no device): at most one line per key per `intervalMs`,
 * the next one saying how many were not logged. Memory bounded by `maxKeys`.
 */
export class RefusalLog {
  private readonly lastByKey = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly log: Logger,
    private readonly intervalMs = 10_000,
    private readonly now: () => number = monotonicNow,
    private readonly maxKeys = 10_000,
  ) {}

  note(key: string, fields: Record<string, unknown>, msg: string): void {
    const now = this.now();
    const last = this.lastByKey.get(key);
    if (last && now - last.at < this.intervalMs) {
      last.suppressed++;
      return;
    }
    const suppressed = last?.suppressed ?? 0;
    this.lastByKey.delete(key);
    this.lastByKey.set(key, { at: now, suppressed: 0 });
    if (this.lastByKey.size > this.maxKeys) this.lastByKey.delete(this.lastByKey.keys().next().value as string);
    this.log.info({ ...fields, ...(suppressed > 0 ? { notLoggedSince: suppressed } : {}) }, msg);
  }
}
