import type { Alarm, AlarmSeverity } from './lifecycle.js';

/**
 * The alarm columns, named the same in the gateway's SQLite store and the cloud's meta store
 * (raised_ts, acked_by, acked_ts, note, cleared_ts, cleared_how, …), and their mapping.
 */
export const ALARM_COLUMNS = [
  'id',
  'device_id',
  'type',
  'severity',
  'raised_ts',
  'text',
  'acked_by',
  'acked_ts',
  'note',
  'cleared_ts',
  'cleared_how',
] as const;

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const str = (v: unknown) => (v === null || v === undefined ? null : String(v));

export function alarmOfRow(r: Record<string, unknown>): Alarm {
  return {
    id: String(r.id),
    deviceId: str(r.device_id),
    type: String(r.type),
    severity: String(r.severity) as AlarmSeverity,
    raisedAt: Number(r.raised_ts),
    text: String(r.text),
    acknowledgedBy: str(r.acked_by),
    acknowledgedAt: num(r.acked_ts),
    note: str(r.note),
    clearedAt: num(r.cleared_ts),
    how: str(r.cleared_how),
  };
}

/** The values of ALARM_COLUMNS, in order. */
export function alarmValues(a: Alarm): (string | number | null)[] {
  return [a.id, a.deviceId, a.type, a.severity, a.raisedAt, a.text, a.acknowledgedBy, a.acknowledgedAt, a.note, a.clearedAt, a.how];
}

/** The SQL condition of each state (the same rule as `stateOf`). */
export const ALARM_STATE_SQL = {
  open: 'acked_ts IS NULL AND cleared_ts IS NULL',
  acknowledged: 'acked_ts IS NOT NULL AND cleared_ts IS NULL',
  cleared: 'cleared_ts IS NOT NULL',
} as const;
