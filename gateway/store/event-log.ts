import type { Database } from 'better-sqlite3';
import type { AuditEntry, Event } from '../../shared/api/resources.js';

/**
 * The events and audit tables as the local API lists them (docs/api.md): newest first, keyset
 * pages on (ts, id), filters like the cloud's. Rows come back in the shared shapes; `gatewayId` is
 * null (they are this gateway's own).
 */
export interface HistoryFilter {
  device?: string | undefined;
  from?: number | undefined;
  to?: number | undefined;
  /** Events: type and severities; audit: action and actor id. */
  type?: string | undefined;
  severity?: readonly string[] | undefined;
  action?: string | undefined;
  actor?: string | undefined;
}

export interface HistoryPage {
  limit: number;
  /** The (ts, id) of the last row of the previous page. */
  after?: readonly (string | number)[] | undefined;
}

function where(f: HistoryFilter, p: HistoryPage): { sql: string; args: Record<string, unknown> } {
  const w: string[] = [];
  const args: Record<string, unknown> = { limit: p.limit + 1 };
  const add = (cond: string, name: string, value: unknown) => {
    if (value === undefined) return;
    w.push(cond);
    args[name] = value;
  };
  add('device_id = @device', 'device', f.device);
  add('ts >= @from', 'from', f.from);
  add('ts < @to', 'to', f.to);
  add('type = @type', 'type', f.type);
  add('action = @action', 'action', f.action);
  add('actor_id = @actor', 'actor', f.actor);
  if (f.severity?.length) {
    w.push(`severity IN (${f.severity.map((_, i) => `@sev${i}`).join(', ')})`);
    f.severity.forEach((s, i) => {
      args[`sev${i}`] = s;
    });
  }
  if (p.after) {
    w.push('(ts < @afterTs OR (ts = @afterTs AND id < @afterId))');
    args.afterTs = p.after[0];
    args.afterId = p.after[1];
  }
  return { sql: w.length ? `WHERE ${w.join(' AND ')}` : '', args };
}

interface EventRow {
  id: string;
  ts: number;
  device_id: string | null;
  type: string;
  severity: Event['severity'];
  safety: number;
  data: string;
}

/** Up to `limit + 1` events (one more tells whether there is a next page). */
export function listEvents(db: Database, f: HistoryFilter, p: HistoryPage): Event[] {
  const q = where(f, p);
  const rows = db
    .prepare(`SELECT id, ts, device_id, type, severity, safety, data FROM events ${q.sql} ORDER BY ts DESC, id DESC LIMIT @limit`)
    .all(q.args) as EventRow[];
  return rows.map((r) => ({
    id: r.id,
    ts: r.ts,
    deviceId: r.device_id,
    gatewayId: null,
    type: r.type,
    severity: r.severity,
    safety: r.safety === 1,
    data: JSON.parse(r.data) as Record<string, unknown>,
  }));
}

interface AuditRow {
  id: string;
  ts: number;
  actor: AuditEntry['actor']['type'];
  actor_id: string | null;
  device_id: string | null;
  action: string;
  reason: string;
  data: string;
}

/** Up to `limit + 1` audit entries. */
export function listAudit(db: Database, f: HistoryFilter, p: HistoryPage): AuditEntry[] {
  const q = where(f, p);
  const rows = db
    .prepare(`SELECT id, ts, actor, actor_id, device_id, action, reason, data FROM audit ${q.sql} ORDER BY ts DESC, id DESC LIMIT @limit`)
    .all(q.args) as AuditRow[];
  return rows.map((r) => ({
    id: r.id,
    ts: r.ts,
    actor: r.actor_id === null ? { type: r.actor } : { type: r.actor, id: r.actor_id },
    deviceId: r.device_id,
    gatewayId: null,
    action: r.action,
    reason: r.reason,
    data: JSON.parse(r.data) as Record<string, unknown>,
  }));
}
