import type { Database } from 'better-sqlite3';
import type { Alarm, AlarmState } from '../../shared/alarms/lifecycle.js';
import { ALARM_STATE_SQL, alarmOfRow } from '../../shared/alarms/row.js';

/** Read-only queries of the alarms table (written by store/alarm-writer.ts on the writer thread). */
export function getAlarm(db: Database, id: string): Alarm | null {
  const row = db.prepare('SELECT * FROM alarms WHERE id = ?').get(id) as Record<string, unknown> | undefined;
  return row ? alarmOfRow(row) : null;
}

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
  if (q.state) where.push(ALARM_STATE_SQL[q.state]);
  if (q.deviceId !== undefined) {
    where.push('device_id = ?');
    params.push(q.deviceId);
  }
  if (q.after) {
    where.push('(raised_ts < ? OR (raised_ts = ? AND id < ?))');
    params.push(q.after[0], q.after[0], q.after[1]);
  }
  const clause = where.length ? ` WHERE ${where.join(' AND ')}` : '';
  const rows = db.prepare(`SELECT * FROM alarms${clause} ORDER BY raised_ts DESC, id DESC LIMIT ?`).all(...params, q.limit + 1) as Record<
    string,
    unknown
  >[];
  return { items: rows.slice(0, q.limit).map(alarmOfRow), more: rows.length > q.limit };
}

/** The alarm an event raised and those it cleared (read after its commit). */
export function stepsOfEvent(db: Database, e: { id: string; deviceId: string | null; type: string; ts: number }): Alarm[] {
  const rows = db
    .prepare('SELECT * FROM alarms WHERE id = ? OR (device_id IS ? AND cleared_ts = ? AND cleared_how = ?)')
    .all(e.id, e.deviceId, e.ts, e.type) as Record<string, unknown>[];
  return rows.map(alarmOfRow);
}
