import { z } from 'zod';
import { rangeProblem } from '../api/range.js';

/**
 * Telemetry history per bucket, the one shape of `GET /v1/devices/{id}/telemetry` on the cloud
 * (from InfluxDB or its embedded store) and on the gateway (from its SQLite readings): the
 * temperature's mean/min/max, how much of the bucket the heater was on, and the cook's target.
 * A chart opened mid-cook draws the past from these as it draws live readings. Pure.
 */
export interface HistoryBucket {
  /** Bucket start, epoch ms. */
  ts: number;
  mean: number | null;
  min: number | null;
  max: number | null;
  /** Readings with a temperature in the bucket. */
  count: number;
  /** Share of the bucket's readings with the heater on, 0–1 (null: no reading said). */
  heaterOn: number | null;
  /** The cook's target at the bucket's end, °C (null: no cook running). */
  targetC: number | null;
}

/** From this time on the target is `targetC` (null: the cook stopped). */
export interface TargetStep {
  ts: number;
  targetC: number | null;
}

/** At most this many buckets per request. */
export const MAX_BUCKETS = 10_000;

/** `every`: a duration like 500ms, 30s, 5m, 1h, 1d (a bare number is ms), as ms. */
export const Every = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)?$/, 'a duration like 500ms, 30s, 5m, 1h, 1d (a bare number is ms)')
  .transform((v) => {
    const m = /^(\d+)(ms|s|m|h|d)?$/.exec(v) as RegExpExecArray;
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 'ms') as 'ms'];
    return Number(m[1]) * unit;
  })
  .refine((ms) => ms >= 1, 'must be at least 1 ms');

/** Why a bucket query is refused (`query.<field>: reason`), or null. */
export function bucketQueryProblem(fromMs: number, toMs: number, everyMs: number): string | null {
  const range = rangeProblem(fromMs, toMs);
  if (range) return range;
  const buckets = Math.ceil((toMs - fromMs) / everyMs);
  if (buckets > MAX_BUCKETS) {
    // Said whether `every` was given or is the route's default: the fix is the same.
    const least = Math.ceil((toMs - fromMs) / MAX_BUCKETS);
    return `query.every: ${everyMs} ms makes ${buckets} buckets over this range, more than ${MAX_BUCKETS}; give every=${least}ms or more, or a shorter range`;
  }
  return null;
}

/** The target in effect at `ts` (steps sorted by time). */
export function targetAt(steps: readonly TargetStep[], ts: number): number | null {
  let target: number | null = null;
  for (const s of steps) {
    if (s.ts > ts) break;
    target = s.targetC;
  }
  return target;
}

/** Sets each bucket's target: the one in effect at the bucket's last millisecond. */
export function withTargets<B extends { ts: number }>(
  buckets: readonly B[],
  steps: readonly TargetStep[],
  everyMs: number,
): (B & { targetC: number | null })[] {
  const sorted = [...steps].sort((a, b) => a.ts - b.ts);
  return buckets.map((b) => ({ ...b, targetC: targetAt(sorted, b.ts + everyMs - 1) }));
}

/** A cook's record as both sides keep it: its state and spec from a time on. */
export interface CookChange {
  ts: number;
  state: string;
  targetC: number;
}

/** Target steps from cook changes (start, change, lifecycle step, stop), in time order. */
export function targetSteps(changes: readonly CookChange[]): TargetStep[] {
  return [...changes].sort((a, b) => a.ts - b.ts).map((c) => ({ ts: c.ts, targetC: c.state === 'stopped' ? null : c.targetC }));
}
