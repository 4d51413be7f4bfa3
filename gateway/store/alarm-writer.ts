import type { Database } from 'better-sqlite3';
import { type Alarm, acknowledge, clear, merge, stepsBetween } from '../../shared/alarms/lifecycle.js';
import { alarmOfRow } from '../../shared/alarms/row.js';
import type { RelayRecord } from '../../shared/relay/batch.js';
import { type AlarmItem, type EventItem, PRIORITY } from './items.js';

type Actor = { type: 'user' | 'cloud' | 'system'; id?: string };
const ACTION = { raise: 'alarm.raise', ack: 'alarm.ack', clear: 'alarm.clear' } as const;

/**
 * The alarm steps inside the writer thread's transaction (shared/alarms/lifecycle.ts decides):
 * the row, an audit row per step (ids derived from the alarm's, so a replay is stored once) and,
 * with the relay on, the alarm's new state and the audit rows in the outbox (priority 0: never
 * evicted). Everything commits with the event or request that caused it.
 */
export function alarmWriter(db: Database) {
  const byId = db.prepare('SELECT * FROM alarms WHERE id = ?');
  const openOf = db.prepare('SELECT 1 FROM alarms WHERE device_id IS ? AND type = ? AND cleared_ts IS NULL AND acked_ts IS NULL LIMIT 1');
  const uncleared = db.prepare(
    `SELECT * FROM alarms WHERE device_id IS ? AND cleared_ts IS NULL AND type IN (SELECT value FROM json_each(?))`,
  );
  const upsert = db.prepare(
    `INSERT INTO alarms (id, device_id, type, severity, raised_ts, text, acked_by, acked_ts, note, cleared_ts, cleared_how)
     VALUES (@id, @deviceId, @type, @severity, @raisedAt, @text, @acknowledgedBy, @acknowledgedAt, @note, @clearedAt, @how)
     ON CONFLICT (id) DO UPDATE SET acked_by = excluded.acked_by, acked_ts = excluded.acked_ts, note = excluded.note,
       cleared_ts = excluded.cleared_ts, cleared_how = excluded.cleared_how`,
  );
  const insertAudit = db.prepare(
    'INSERT OR IGNORE INTO audit (id, ts, actor, actor_id, device_id, action, reason, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const insertOutbox = db.prepare('INSERT INTO outbox (priority, kind, record, bytes, created_ts) VALUES (?, ?, ?, ?, ?)');
  const queue = (kind: string, record: RelayRecord, ts: number) => {
    const json = JSON.stringify(record);
    insertOutbox.run(PRIORITY.safety, kind, json, Buffer.byteLength(json), ts);
  };

  const read = (id: string): Alarm | null => {
    const row = byId.get(id) as Record<string, unknown> | undefined;
    return row ? alarmOfRow(row) : null;
  };

  /** Writes `after` over `before`; returns whether anything changed. `echo`: queue its state even when unchanged. */
  const write = (before: Alarm | null, after: Alarm, actor: Actor, relay: boolean, echo = false): boolean => {
    const steps = stepsBetween(before, after);
    if (steps.length > 0) upsert.run(after);
    for (const step of steps) {
      const ts = step === 'raise' ? after.raisedAt : step === 'ack' ? (after.acknowledgedAt as number) : (after.clearedAt as number);
      // The actor of an acknowledgement is who made it; raising and clearing are the gateway's own.
      const who: Actor = step === 'ack' ? actor : { type: 'system' };
      const reason =
        step === 'raise'
          ? after.text
          : step === 'ack'
            ? `acknowledged by ${after.acknowledgedBy}${after.note ? `: ${after.note}` : ''}`
            : `cleared (${after.how})`;
      const data = { alarmId: after.id, type: after.type, severity: after.severity };
      const id = `au-${after.id}-${step}`;
      const r = insertAudit.run(id, ts, who.type, who.id ?? null, after.deviceId, ACTION[step], reason.slice(0, 256), JSON.stringify(data));
      if (r.changes > 0 && relay) {
        const actorRec = who.id === undefined ? { type: who.type } : { type: who.type, id: who.id.slice(0, 64) };
        queue(
          'audit',
          { kind: 'audit', id, ts, actor: actorRec, deviceId: after.deviceId, action: ACTION[step], reason: reason.slice(0, 256), data },
          ts,
        );
      }
    }
    if (relay && (steps.length > 0 || echo))
      queue('alarm', { kind: 'alarm', ...after }, after.clearedAt ?? after.acknowledgedAt ?? after.raisedAt);
    return steps.length > 0;
  };

  return {
    /** A control event: raises its alarm (none while one of its kit and type is open), clears those it ends. */
    onEvent(it: EventItem): void {
      const a = it.alarm;
      if (!a) return;
      const relay = it.outbox !== null;
      if (a.clears.length > 0) {
        const rows = uncleared.all(it.deviceId, JSON.stringify(a.clears)) as Record<string, unknown>[];
        for (const row of rows) {
          const before = alarmOfRow(row);
          write(before, clear(before, it.ts, it.type), { type: 'system' }, relay);
        }
      }
      if (a.raise && !openOf.get(a.raise.deviceId, a.raise.type) && read(a.raise.id) === null)
        write(null, a.raise, { type: 'system' }, relay);
    },

    /** An acknowledgement or the cloud's state of an alarm; true when it changed it. */
    apply(it: AlarmItem): boolean {
      if (it.op.kind === 'ack') {
        const before = read(it.op.id);
        if (before === null) return false;
        return write(before, acknowledge(before, it.op.ack), it.actor, it.relay);
      }
      const before = read(it.op.alarm.id);
      const after = before === null ? it.op.alarm : merge(before, it.op.alarm);
      // Always answered with the state here: the cloud stops resending once the gateway confirmed it.
      const ackActor: Actor = { type: 'cloud', ...(after.acknowledgedBy ? { id: after.acknowledgedBy.slice(0, 64) } : {}) };
      return write(before, after, ackActor, it.relay, true);
    },
  };
}
