import type { Database } from 'better-sqlite3';
import type { CookSpec } from '../../shared/cook.js';
import { type HistoryBucket, type TargetStep, targetSteps, withTargets } from '../../shared/history/buckets.js';
import { READINGS_IN_RANGE, rangeParams } from './telemetry-order.js';

/**
 * The gateway's own history for its dashboard (read-only): its SQLite readings per bucket by
 * receive time (mean/min/max, the heater's on-share) with the cook's target from the audit trail's
 * cook_start / cook_change / cook_stop rows. The same buckets as the cloud's (shared/history/buckets.ts).
 */
export function historyBuckets(db: Database, deviceId: string, fromMs: number, toMs: number, everyMs: number): HistoryBucket[] {
  const rows = db
    .prepare(
      `SELECT (rx_ts - (rx_ts % @everyMs)) AS b, AVG(temp_c) AS mean, MIN(temp_c) AS min, MAX(temp_c) AS max, COUNT(temp_c) AS c,
        AVG(heater) AS heat FROM (${READINGS_IN_RANGE}) GROUP BY b ORDER BY b`,
    )
    .all({ ...rangeParams(db, deviceId, fromMs, toMs), everyMs }) as {
    b: number;
    mean: number | null;
    min: number | null;
    max: number | null;
    c: number;
    heat: number;
  }[];
  // Like the cloud: buckets without any temperature are left out.
  const buckets = rows.filter((r) => r.c > 0).map((r) => ({ ts: r.b, mean: r.mean, min: r.min, max: r.max, count: r.c, heaterOn: r.heat }));
  return withTargets(buckets, cookSteps(db, deviceId, fromMs, toMs), everyMs);
}

const COOK_ACTIONS = "action IN ('cook_start', 'cook_change', 'cook_stop')";
/** Cook changes per request (a cook changes a few times; a range never holds this many). */
const MAX_CHANGES = 1000;

/** The target steps of [fromMs, toMs): the cook change the range starts in, then those inside it. */
function cookSteps(db: Database, deviceId: string, fromMs: number, toMs: number): TargetStep[] {
  type Row = { ts: number; action: string; data: string };
  const before = db
    .prepare(`SELECT ts, action, data FROM audit WHERE device_id = ? AND ${COOK_ACTIONS} AND ts < ? ORDER BY ts DESC, id DESC LIMIT 1`)
    .all(deviceId, fromMs) as Row[];
  const inside = db
    .prepare(`SELECT ts, action, data FROM audit WHERE device_id = ? AND ${COOK_ACTIONS} AND ts >= ? AND ts < ? ORDER BY ts, id LIMIT ?`)
    .all(deviceId, fromMs, toMs, MAX_CHANGES) as Row[];
  return targetSteps(
    [...before, ...inside].map((r) => {
      const spec = (JSON.parse(r.data) as { spec?: CookSpec }).spec;
      return { ts: r.ts, state: r.action === 'cook_stop' ? 'stopped' : 'heating', targetC: spec?.targetC ?? 0 };
    }),
  );
}
