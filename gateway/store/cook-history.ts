import type { Database } from 'better-sqlite3';
import type { CookSpec } from '../../shared/cook.js';
import type { CookRecordInput } from '../../shared/food-safety/cook-record.js';
import { csvRow, GATEWAY_READINGS_COLUMNS } from '../../shared/readings-csv.js';
import { READINGS_IN_RANGE, rangeParams } from './telemetry-order.js';

/**
 * Cook history from the gateway's own tables (read-only): a cook is the audit trail's
 * `cook_start` / `cook_change` / `cook_stop` rows that name its id, the `cooks` row of a device
 * (its current cook), and the telemetry, events and audit in between.
 */
interface AuditRow {
  ts: number;
  actor: string;
  actor_id: string | null;
  device_id: string | null;
  action: string;
  reason: string;
  data: string;
}

export interface CookSummary {
  id: string;
  deviceId: string;
  startedTs: number;
  endedTs: number | null;
  state: string;
  spec: CookSpec;
  /** Every version of the spec, from its cook_start / cook_change row (the record segments by them). */
  specs: { ts: number; spec: CookSpec }[];
  who: string[];
}

const COOK_ACTIONS = "('cook_start', 'cook_change', 'cook_stop')";

function actorOf(r: AuditRow): string {
  return r.actor_id ? `${r.actor} ${r.actor_id}` : r.actor;
}

/** Every cook whose start lies in [fromMs, toMs), newest first. */
export function listCooks(db: Database, fromMs: number, toMs: number, limit: number): CookSummary[] {
  const rows = db
    .prepare(`SELECT ts, actor, actor_id, device_id, action, reason, data FROM audit WHERE action IN ${COOK_ACTIONS} ORDER BY ts, id`)
    .all() as AuditRow[];
  const current = new Map(
    (db.prepare('SELECT device_id, id, state FROM cooks').all() as { device_id: string; id: string; state: string }[]).map((c) => [
      c.id,
      c.state,
    ]),
  );
  const cooks = new Map<string, CookSummary>();
  const lastOnDevice = new Map<string, CookSummary>();
  for (const r of rows) {
    const data = JSON.parse(r.data) as { cookId?: string; spec?: CookSpec };
    if (!data.cookId || !r.device_id) continue;
    let c = cooks.get(data.cookId);
    if (!c && r.action !== 'cook_stop' && data.spec) {
      // A new cook on a device ends the one before it (replaced) if that one was still open.
      const prev = lastOnDevice.get(r.device_id);
      if (prev && prev.endedTs === null && prev.id !== data.cookId) prev.endedTs = r.ts;
      c = { id: data.cookId, deviceId: r.device_id, startedTs: r.ts, endedTs: null, state: 'heating', spec: data.spec, specs: [], who: [] };
      cooks.set(c.id, c);
      lastOnDevice.set(r.device_id, c);
    }
    if (!c) continue;
    if (data.spec && r.action !== 'cook_stop') {
      c.spec = data.spec;
      c.specs.push({ ts: r.ts, spec: data.spec });
    }
    if (r.action === 'cook_stop') {
      c.endedTs = r.ts;
      c.state = 'stopped';
    }
    const who = actorOf(r);
    if (!c.who.includes(who)) c.who.push(who);
  }
  for (const c of cooks.values()) {
    const s = current.get(c.id);
    if (s) c.state = s;
    else if (c.state !== 'stopped') c.state = 'replaced';
  }
  return [...cooks.values()]
    .filter((c) => c.startedTs >= fromMs && c.startedTs < toMs)
    .sort((a, b) => b.startedTs - a.startedTs)
    .slice(0, limit);
}

export function findCook(db: Database, id: string): CookSummary | null {
  return listCooks(db, 0, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER).find((c) => c.id === id) ?? null;
}

/** What buildCookRecord needs for one cook, from the local tables. */
export function cookRecordInput(db: Database, c: CookSummary, nowMs: number): CookRecordInput {
  const to = c.endedTs ?? nowMs + 1;
  const readings = db
    .prepare(`SELECT rx_ts AS ts, temp_c AS tempC FROM (${READINGS_IN_RANGE}) ORDER BY rx_ts, boot, seq`)
    .all(rangeParams(db, c.deviceId, c.startedTs, to)) as { ts: number; tempC: number | null }[];
  const events = (
    db
      .prepare('SELECT ts, type, severity, data FROM events WHERE device_id = ? AND ts >= ? AND ts < ? ORDER BY ts, id')
      .all(c.deviceId, c.startedTs, to) as {
      ts: number;
      type: string;
      severity: string;
      data: string;
    }[]
  ).map((e) => ({ ...e, data: JSON.parse(e.data) as Record<string, unknown> }));
  const actions = (
    db
      .prepare(
        'SELECT ts, actor, actor_id, device_id, action, reason, data FROM audit WHERE device_id = ? AND ts >= ? AND ts <= ? ORDER BY ts, id',
      )
      .all(c.deviceId, c.startedTs, to) as AuditRow[]
  ).map((a) => ({ ts: a.ts, actor: actorOf(a), action: a.action, reason: a.reason }));
  return {
    cookId: c.id,
    deviceId: c.deviceId,
    gatewayId: null,
    spec: c.spec,
    specs: c.specs,
    state: c.state,
    startedTs: c.startedTs,
    endedTs: c.endedTs,
    readings,
    events,
    actions,
  };
}

const CSV_PAGE = 5000;

/**
 * The raw readings of a device in [fromMs, toMs) by receive time, as CSV chunks: the header, then
 * pages of rows (keyset paging, so the connection is never held between chunks).
 */
export function* readingsCsv(db: Database, deviceId: string, fromMs: number, toMs: number): Generator<string> {
  yield csvRow(GATEWAY_READINGS_COLUMNS);
  const page = db.prepare(
    `SELECT * FROM (${READINGS_IN_RANGE}) WHERE (rx_ts, boot, seq) > (@afterRx, @afterBoot, @afterSeq)
     ORDER BY rx_ts, boot, seq LIMIT @limit`,
  );
  const limit = CSV_PAGE;
  let rows = page.all({
    ...rangeParams(db, deviceId, fromMs, toMs),
    afterRx: Number.MIN_SAFE_INTEGER,
    afterBoot: 0,
    afterSeq: 0,
    limit,
  }) as TelemetryRow[];
  while (rows.length > 0) {
    yield rows.map((r) => csvRow([r.device_id, r.boot, r.seq, r.ts, r.rx_ts, r.temp_c, r.sensor, r.heater === 1, r.rssi])).join('');
    if (rows.length < CSV_PAGE) return;
    const last = rows[rows.length - 1]!;
    // The next page: from the last row's receive time on, after the last row.
    const range = rangeParams(db, deviceId, last.rx_ts, toMs);
    rows = page.all({ ...range, afterRx: last.rx_ts, afterBoot: last.boot, afterSeq: last.seq, limit }) as TelemetryRow[];
  }
}

interface TelemetryRow {
  device_id: string;
  boot: number;
  seq: number;
  ts: number | null;
  rx_ts: number;
  temp_c: number | null;
  sensor: string;
  heater: number;
  rssi: number | null;
}
