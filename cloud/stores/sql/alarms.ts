import { type Ack, type Alarm, acknowledge, merge, stateOf, stepsBetween } from '../../../shared/alarms/lifecycle.js';
import { ALARM_COLUMNS, alarmOfRow, alarmValues } from '../../../shared/alarms/row.js';
import type { AlarmRow } from '../types.js';
import type { SqlDriver, SqlValue } from './driver.js';

/**
 * The cloud's alarms over the SQL driver (MySQL and the embedded SQLite alike), with the lifecycle
 * rules of shared/alarms/lifecycle.ts. `ack_down` = 1: the cloud holds an acknowledgement its
 * gateway has not confirmed; it goes down in the gateway's relay replies until the gateway's own
 * report carries the same acknowledgement (docs/sync.md).
 */
type Row = Record<string, unknown>;

export function alarmRow(r: Row): AlarmRow {
  const a = alarmOfRow(r);
  return { ...a, gatewayId: String(r.gateway_id), state: stateOf(a) };
}

const UPDATE = 'UPDATE alarms SET acked_by = ?, acked_ts = ?, note = ?, cleared_ts = ?, cleared_how = ?, ack_down = ? WHERE id = ?';
const updateValues = (a: Alarm, down: number, id: string): SqlValue[] => [
  a.acknowledgedBy,
  a.acknowledgedAt,
  a.note,
  a.clearedAt,
  a.how,
  down,
  id,
];

/** The gateway has the cloud's acknowledgement when its report carries the same one. */
const confirms = (reported: Alarm, merged: Alarm) =>
  merged.acknowledgedAt === null ||
  (reported.acknowledgedAt === merged.acknowledgedAt && reported.acknowledgedBy === merged.acknowledgedBy);

/**
 * A gateway's alarms (inside the ingest transaction): new ones inserted, known ones merged. An
 * alarm id of another org is left alone. Returns those that changed something, each as it is now
 * here (merged); the rest are replays.
 */
export async function mergeAlarms(d: SqlDriver, gatewayId: string, orgId: string, alarms: readonly Alarm[]): Promise<Alarm[]> {
  const changed: Alarm[] = [];
  const lock = d.dialect === 'mysql' ? ' FOR UPDATE' : '';
  // Sorted ids: concurrent batches lock rows in the same order.
  for (const a of [...alarms].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0))) {
    const row = (await d.query(`SELECT * FROM alarms WHERE id = ?${lock}`, [a.id]))[0];
    if (!row) {
      await d.run(
        `INSERT INTO alarms (${ALARM_COLUMNS.join(', ')}, org_id, gateway_id, ack_down) VALUES (${ALARM_COLUMNS.map(() => '?').join(', ')}, ?, ?, 0)`,
        [...alarmValues(a), orgId, gatewayId],
      );
      changed.push(a);
      continue;
    }
    if (String(row.org_id) !== orgId) continue;
    const before = alarmOfRow(row);
    const after = merge(before, a);
    // A report that does not carry the winning acknowledgement (an older one, replayed) changes nothing here.
    const down = confirms(a, after) ? 0 : Number(row.ack_down);
    if (stepsBetween(before, after).length > 0 || down !== Number(row.ack_down)) {
      await d.run(UPDATE, updateValues(after, down, a.id));
      if (stepsBetween(before, after).length > 0) changed.push(after);
    }
  }
  return changed;
}

/** Acknowledges inside a transaction; null when not in the scope (`where`: its condition). `changed`: the audit is the caller's. */
export async function ackAlarmTx(
  d: SqlDriver,
  [where, params]: [string, SqlValue[]],
  id: string,
  ack: Ack,
): Promise<{ row: AlarmRow; changed: boolean } | null> {
  const lock = d.dialect === 'mysql' ? ' FOR UPDATE' : '';
  const row = (await d.query(`SELECT * FROM alarms WHERE id = ? AND ${where}${lock}`, [id, ...params]))[0];
  if (!row) return null;
  const before = alarmOfRow(row);
  const after = acknowledge(before, ack);
  const changed = stepsBetween(before, after).length > 0;
  if (changed) await d.run(UPDATE, updateValues(after, 1, id));
  return { row: { ...after, gatewayId: String(row.gateway_id), state: stateOf(after) }, changed };
}

export async function alarmsDown(d: SqlDriver, gatewayId: string, limit: number): Promise<Alarm[]> {
  const rows = await d.query(`SELECT * FROM alarms WHERE gateway_id = ? AND ack_down = 1 ORDER BY raised_ts, id LIMIT ${limit}`, [
    gatewayId,
  ]);
  return rows.map(alarmOfRow);
}
