import type { Telemetry } from './types.js';

/**
 * When a reading was taken, as the history shows it (ADR 011): the device's time when it is
 * plausible next to the gateway's receive time, else the receive time. A kit whose clock is hours
 * off (NTP failed, a clock set by hand) would otherwise put its readings hours away from when
 * they happened, and a clock corrected under way would interleave them out of order
 * (`sousvide chaos kit-clock`). Both times stay stored (`device_ts`, `rx_ts`), and the
 * choice depends only on the record, so a replay lands on the same point.
 */

/** A device clock ahead of the gateway's by more than this is wrong (two NTP-synced clocks differ by far less). */
export const MAX_DEVICE_LEAD_MS = 60_000;
/**
 * A reading older than this when the gateway received it is taken as a wrong clock: the firmware
 * keeps ~30 s of unacknowledged readings (32 at 1 Hz); the margin covers a longer buffer.
 */
export const MAX_DEVICE_LAG_MS = 15 * 60_000;

export function readingTimeMs(r: Pick<Telemetry, 'ts' | 'rxTs'>): number {
  if (r.ts === null) return r.rxTs;
  const lag = r.rxTs - r.ts;
  return lag > MAX_DEVICE_LAG_MS || lag < -MAX_DEVICE_LEAD_MS ? r.rxTs : r.ts;
}
