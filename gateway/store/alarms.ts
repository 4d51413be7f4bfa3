import type { Database } from 'better-sqlite3';
import type { Alarm, AlarmSeverity, AlarmState } from '../../shared/alarms/lifecycle.js';

/** Read-only queries of the alarms table (written by store/alarm-writer.ts on the writer thread). */
export function alarmOfRow(r: Record<string, unknown>): Alarm {
  const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  const s = (v: unknown) => (v === null || v === undefined ? null : String(v));
  return {
    id: String(r.id),
    deviceId: s(r.device_id),
    type: String(r.type),
    severity: String(r.severity) as AlarmSeverity,
    raisedAt: Number(r.raised_ts),
    text: String(r.text),
    acknowledgedBy: s(r.acked_by),
    acknowledgedAt: n(r.acked_ts),
    note: s(r.note),
    clearedAt: n(r.cleared_ts),
    how: s(r.cleared_how),
  };
}

export function getAlarm(db: Database, id: string): Alarm | null {
  const row = db.prepare('SELECT * FROM alarms WHERE id = ?').get(id) as Record<string, unknown> | undefined;
  return row ? alarmOfRow(row) : null;
}

const STATE_SQL: Record<AlarmState, string> = {
  open: 'acked_ts IS NULL AND cleared_ts IS NULL',
  acknowledged: 'acked_ts IS NOT NULL AND cleared_ts IS NULL',
  cleared: 'cleared_ts IS NOT NULL',
};

export interface AlarmQuery {
  state?: AlarmState | undefined;
  deviceId?: string | undefined;
  limit: number;
  /** The sort key (raised time, id) of the last alarm of the previous page. */
  after?: readonly [number, string] | undefined;
}

/** Newest raised first; `limit + 1` rows are read so the caller knows whether a next page exists. */
export function listAlarms(db: Database, q: AlarmQuery): { items: Alarm[]; more: boolean } {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (q.state) where.push(STATE_SQL[q.state]);
  if (q.deviceId !== undefined) {
    where.push('device_id = ?');
    params.push(q.deviceId);
  }
  if (q.after) {
    where.push('(raised_ts < ? OR (raised_ts = ? AND id < ?))');
    params.push(q.after[0], q.after[0], q.after[1]);
  }
  const clause = where.length ? ` WHERE ${where.join(' AND ')}` : '';
  const rows = db
    .prepare(`SELECT * FROM alarms${clause} ORDER BY raised_ts DESC, id DESC LIMIT ?`)
    .all(...params, q.limit + 1) as Record<string, unknown>[];
  return { items: rows.slice(0, q.limit).map(alarmOfRow), more: rows.length > q.limit };
}
