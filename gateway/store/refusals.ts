import type { Database } from 'better-sqlite3';

/** What the gateway refused, read for the local API (the writer thread owns every write). */
export interface DeadLetterRow {
  id: number;
  rxTs: number;
  deviceId: string | null;
  topic: string;
  code: string;
  reason: string;
  payload: Buffer;
}

export interface SecurityEventRow {
  id: number;
  ts: number;
  kind: string;
  deviceId: string | null;
  remote: string | null;
  detail: string;
}

export interface RefusalPage {
  limit: number;
  /** Cursor: only rows with a smaller id (newest first). */
  before?: number | undefined;
  device?: string | undefined;
}

function where(p: RefusalPage): string {
  const w = [p.before !== undefined ? 'id < @before' : null, p.device !== undefined ? 'device_id = @device' : null].filter(Boolean);
  return w.length > 0 ? `WHERE ${w.join(' AND ')}` : '';
}

export function deadLetters(db: Database, p: RefusalPage): DeadLetterRow[] {
  return db
    .prepare(
      `SELECT id, rx_ts AS rxTs, device_id AS deviceId, topic, code, reason, payload FROM dead_letters ${where(p)} ORDER BY id DESC LIMIT @limit`,
    )
    .all({ limit: p.limit, before: p.before, device: p.device }) as DeadLetterRow[];
}

export function deadLetter(db: Database, id: number): DeadLetterRow | undefined {
  return db
    .prepare('SELECT id, rx_ts AS rxTs, device_id AS deviceId, topic, code, reason, payload FROM dead_letters WHERE id = ?')
    .get(id) as DeadLetterRow | undefined;
}

export function securityEvents(db: Database, p: RefusalPage): SecurityEventRow[] {
  return db
    .prepare(`SELECT id, ts, kind, device_id AS deviceId, remote, detail FROM security_events ${where(p)} ORDER BY id DESC LIMIT @limit`)
    .all({ limit: p.limit, before: p.before, device: p.device }) as SecurityEventRow[];
}
