import { monotonicNow } from '../../shared/time/monotonic.js';
import type { RefusalLog } from '../refusal-log.js';
import type { Stats } from '../stats.js';
import type { StoreWriter } from '../store/writer.js';
import type { SecurityRecorder } from './ports.js';

/**
 * Records refusals (ACL, auth, limits) in the store, rate-limited so that an attacker cannot fill
 * the disk with refusals: every refusal is counted; at most `perMinute` are written.
 */
export class SecurityLog implements SecurityRecorder {
  private windowStart = 0;
  private written = 0;
  constructor(
    private readonly store: StoreWriter,
    private readonly stats: Stats,
    private readonly perMinute: number,
    /** One info line per refusal, rate-limited per device or address (refusal-log.ts). */
    private readonly refusals?: RefusalLog,
  ) {}

  record(kind: string, deviceId: string | null, remote: string | null, detail: string): void {
    this.refusals?.note(`${deviceId ?? remote ?? 'unknown'} ${kind}`, { kind, deviceId, remote, detail }, `refused: ${kind}`);
    const at = monotonicNow();
    if (at - this.windowStart >= 60_000) {
      this.windowStart = at;
      this.written = 0;
    }
    if (this.written >= this.perMinute) {
      this.stats.inc('security_log_dropped');
      return;
    }
    this.written++;
    this.store.write({ t: 'sec', ts: Date.now(), kind, deviceId, remote, detail: detail.slice(0, 500) }, () => {});
  }
}
