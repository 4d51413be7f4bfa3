import type { Database } from 'better-sqlite3';
import type { Notification } from '../../shared/notify/message.js';

/** Reads of the notification tables (the writes go through the writer thread). */

export interface DueDelivery {
  delivery: number;
  channel: string;
  attempts: number;
  notification: Notification;
}

/** Pending deliveries due at `nowMs`, oldest first. */
/**
 * The pending deliveries due at `nowMs`. A row waiting longer than `maxDelayMs` (the retry
 * policy's longest back-off) was scheduled by a wall clock that has since stepped back: it is due
 * now, not after the step has passed again (ADR 048).
 */
export function dueDeliveries(
  db: Database,
  nowMs: number,
  limit: number,
  maxDelayMs = Number.MAX_SAFE_INTEGER,
  /** Channels whose lane is under way (their rows wait for it). */
  exceptChannels: readonly string[] = [],
): DueDelivery[] {
  const except = exceptChannels.length > 0 ? ` AND d.channel NOT IN (${exceptChannels.map(() => '?').join(',')})` : '';
  const rows = db
    .prepare(
      `SELECT d.id, d.channel, d.attempts, n.body FROM notify_deliveries d JOIN notifications n ON n.id = d.notification_id
       WHERE d.state = 'pending' AND (d.next_ts <= ? OR d.next_ts > ?)${except} ORDER BY d.next_ts, d.id LIMIT ?`,
    )
    .all(nowMs, nowMs + Math.min(maxDelayMs, Number.MAX_SAFE_INTEGER - nowMs), ...exceptChannels, limit) as {
    id: number;
    channel: string;
    attempts: number;
    body: string;
  }[];
  return rows.map((r) => ({ delivery: r.id, channel: r.channel, attempts: r.attempts, notification: JSON.parse(r.body) as Notification }));
}

export function pendingByChannel(db: Database): Map<string, number> {
  const rows = db.prepare("SELECT channel, count(*) AS n FROM notify_deliveries WHERE state = 'pending' GROUP BY channel").all() as {
    channel: string;
    n: number;
  }[];
  return new Map(rows.map((r) => [r.channel, r.n]));
}

export interface DeliveryView {
  id: number;
  channel: string;
  state: 'pending' | 'sent' | 'failed';
  attempts: number;
  lastAttemptTs: number | null;
  nextAttemptTs: number | null;
  lastError: string | null;
  notification: Notification;
}

/** Delivery rows newest first (by id) with an id cursor, optionally of one device or state. */
export function deliveries(
  db: Database,
  q: { limit: number; before?: number | undefined; device?: string | undefined; state?: string | undefined },
): DeliveryView[] {
  const rows = db
    .prepare(
      `SELECT d.id, d.channel, d.state, d.attempts, d.last_ts, d.next_ts, d.last_error, n.body
       FROM notify_deliveries d JOIN notifications n ON n.id = d.notification_id
       WHERE (@before IS NULL OR d.id < @before) AND (@device IS NULL OR n.device_id = @device) AND (@state IS NULL OR d.state = @state)
       ORDER BY d.id DESC LIMIT @limit`,
    )
    .all({ before: q.before ?? null, device: q.device ?? null, state: q.state ?? null, limit: q.limit }) as {
    id: number;
    channel: string;
    state: DeliveryView['state'];
    attempts: number;
    last_ts: number | null;
    next_ts: number;
    last_error: string | null;
    body: string;
  }[];
  return rows.map((r) => ({
    id: r.id,
    channel: r.channel,
    state: r.state,
    attempts: r.attempts,
    lastAttemptTs: r.last_ts,
    nextAttemptTs: r.state === 'pending' ? r.next_ts : null,
    lastError: r.last_error,
    notification: JSON.parse(r.body) as Notification,
  }));
}
