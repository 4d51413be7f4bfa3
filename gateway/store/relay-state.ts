import type { Database } from 'better-sqlite3';
import { PRIORITY, type RelayStateItem } from './items.js';

/** What the relay keeps across restarts (schema migration 3): read once at start. */
export interface PersistedRelayState {
  desiredVersion: number;
  /** Dropped records by reason since the store was created. */
  totals: Record<string, number>;
  /** The part of the totals not yet queued as a `relay_drop` event. */
  pending: Record<string, number>;
  /** When the oldest pending drop happened (null: nothing pending). */
  pendingSince: number | null;
}

export function readRelayState(db: Database): PersistedRelayState {
  const meta = (key: string) => (db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: number } | undefined)?.value ?? 0;
  const totals: Record<string, number> = {};
  const pending: Record<string, number> = {};
  for (const r of db.prepare('SELECT reason, total, pending FROM relay_drops').all() as {
    reason: string;
    total: number;
    pending: number;
  }[]) {
    totals[r.reason] = r.total;
    if (r.pending > 0) pending[r.reason] = r.pending;
  }
  const since = meta('relay_drops_since');
  return { desiredVersion: meta('relay_desired_version'), totals, pending, pendingSince: Object.keys(pending).length > 0 ? since : null };
}

/**
 * The writer thread's side: applies a RelayStateItem inside the current group commit, and counts
 * quota evictions in the same transaction as the deletes (a crash never loses or doubles a count).
 */
export function relayStateWriter(db: Database) {
  const setMeta = db.prepare('UPDATE meta SET value = ? WHERE key = ?');
  const getMeta = db.prepare('SELECT value FROM meta WHERE key = ?');
  const addDrop = db.prepare(
    `INSERT INTO relay_drops (reason, total, pending) VALUES (?, ?, ?)
     ON CONFLICT (reason) DO UPDATE SET total = total + excluded.total, pending = pending + excluded.pending`,
  );
  const takeReported = db.prepare('UPDATE relay_drops SET pending = max(0, pending - ?) WHERE reason = ?');
  const anyPending = db.prepare('SELECT 1 FROM relay_drops WHERE pending > 0 LIMIT 1');
  const deleteRow = db.prepare('DELETE FROM outbox WHERE id = ?');
  const insertOutbox = db.prepare('INSERT INTO outbox (priority, kind, record, bytes, created_ts) VALUES (?, ?, ?, ?, ?)');

  function countDrops(dropped: Record<string, number>, nowMs: number): void {
    let n = 0;
    for (const [reason, count] of Object.entries(dropped)) {
      if (count <= 0) continue;
      addDrop.run(reason, count, count);
      n += count;
    }
    const since = (getMeta.get('relay_drops_since') as { value: number }).value;
    if (n > 0 && since === 0) setMeta.run(nowMs, 'relay_drops_since');
  }

  return {
    countDrops,
    write(it: RelayStateItem, nowMs: number): void {
      if (it.desiredVersion !== undefined) setMeta.run(it.desiredVersion, 'relay_desired_version');
      if (it.dropped) countDrops(it.dropped, nowMs);
      for (const id of it.ack ?? []) deleteRow.run(id);
      if (it.report) {
        const { record, ts, dropped } = it.report;
        insertOutbox.run(PRIORITY.safety, 'event', record, Buffer.byteLength(record), ts);
        for (const [reason, count] of Object.entries(dropped)) takeReported.run(count, reason);
        if (!anyPending.get()) setMeta.run(0, 'relay_drops_since');
      }
    },
  };
}
