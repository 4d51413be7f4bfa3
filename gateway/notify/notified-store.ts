import type { Database } from 'better-sqlite3';
import { alarmKey, type NotifiedAlarms, type OpenAlarm, type OpenAlarms } from '../../shared/notify/rules.js';
import type { NotifiedChange } from '../store/items.js';

/**
 * The notifier's alarms that notified and are not over yet, and the reminders of the open critical
 * ones, kept in the store (table `notified_alarms`, ADR 081) so that a restart neither forgets to
 * tell their end nor stops their reminders. The rules decide (shared/notify/rules.ts); this turns
 * their values into rows and back.
 */
export interface NotifiedState {
  notified: NotifiedAlarms;
  open: OpenAlarms;
}

/** The rows that take the store from `before` to `after` (only the kits and types that changed). */
export function notifiedChanges(before: NotifiedState, after: NotifiedState): NotifiedChange[] {
  if (before.notified === after.notified && before.open === after.open) return [];
  const changes: NotifiedChange[] = [];
  for (const k of new Set([...before.notified, ...after.notified, ...before.open.keys(), ...after.open.keys()])) {
    const isNotified = after.notified.has(k) || after.open.has(k);
    const open = after.open.get(k);
    const unchanged = before.notified.has(k) === after.notified.has(k) && before.open.get(k) === open;
    if (unchanged) continue;
    const cut = k.lastIndexOf('|');
    changes.push({ deviceId: k.slice(0, cut), type: k.slice(cut + 1), notified: isNotified, open: open ? JSON.stringify(open) : null });
  }
  return changes;
}

/**
 * The state kept at the last stop. A critical alarm's reminders resume unless its alarm row was
 * acknowledged or cleared meanwhile (the row is the truth for both; the acknowledgement's own
 * change may have been lost with a crash).
 */
export function loadNotified(db: Database): NotifiedState {
  const rows = db.prepare('SELECT device_id, type, open FROM notified_alarms').all() as {
    device_id: string;
    type: string;
    open: string | null;
  }[];
  const ended = db.prepare('SELECT 1 FROM alarms WHERE id = ? AND (acked_ts IS NOT NULL OR cleared_ts IS NOT NULL)');
  const notified = new Set<string>();
  const open = new Map<string, OpenAlarm>();
  for (const r of rows) {
    const k = alarmKey(r.device_id, r.type);
    notified.add(k);
    if (r.open === null) continue;
    const a = JSON.parse(r.open) as OpenAlarm;
    if (ended.get(a.first.id) === undefined) open.set(k, a);
  }
  return { notified, open };
}
