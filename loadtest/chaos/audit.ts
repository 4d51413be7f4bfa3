import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { STORE_FILE } from '../../gateway/store/open.js';

/**
 * The loss audit: every `(device, boot, seq)` a kit saw acknowledged must be in
 * InfluxDB exactly once, or be an explicit, counted quota eviction. InfluxDB is read over its v1
 * HTTP API, directly (not through the fault proxy); a telemetry point's identity is its series
 * (device, gateway) and time (ADR 011), so a replay overwrites itself and a duplicate can only
 * show up as a second point with the same (boot, seq) — which this counts.
 */
export interface AuditInput {
  influxUrl: string;
  db: string;
  acked: { id: string; boot: number; seqs: number[] }[];
  /** Telemetry the gateway relay counted as evicted by its disk quota (`relay_dropped_records{reason="quota:telemetry"}`). */
  evictions: number;
  /** The gateway's data dir: a missing record must be in its local history (stored, then evicted from the outbox). */
  gatewayDataDir?: string;
}

export interface AuditResult {
  acked: number;
  /** Acknowledged records found in InfluxDB (once or more). */
  found: number;
  missing: number;
  /** (device, boot, seq) with more than one point (acknowledged or not). */
  duplicates: number;
  /** Points that were never acknowledged to a kit (committed, PUBACK lost on a kill or a cut): allowed. */
  unacknowledgedPoints: number;
  evictions: number;
  /** Missing records explained by the quota evictions (each in the gateway's history, none in its outbox). */
  explained: number;
  unexplained: number;
  /** A few of the unexplained or duplicated keys, for the report. */
  examples: string[];
}

async function influxRows(base: string, db: string, q: string): Promise<unknown[][]> {
  const params = new URLSearchParams({ db, q, epoch: 'ms' });
  const res = await fetch(`${base.replace(/\/+$/, '')}/query`, {
    method: 'POST',
    body: params,
    signal: AbortSignal.timeout(60_000),
  });
  const body = (await res.json()) as { results?: { error?: string; series?: { values: unknown[][] }[] }[]; error?: string };
  const err = body.error ?? body.results?.[0]?.error;
  if (!res.ok || err) throw new Error(`influx query failed (${res.status}): ${err ?? ''}`);
  return (body.results?.[0]?.series ?? []).flatMap((s) => s.values);
}

/** Every point of a device, in time order: its time (ms) and identity. */
export async function deviceSeries(base: string, db: string, deviceId: string): Promise<{ time: number; boot: number; seq: number }[]> {
  if (!/^[a-z0-9-]+$/.test(deviceId)) throw new Error(`bad device id ${deviceId}`);
  const rows = await influxRows(
    base,
    db,
    `SELECT boot, seq FROM telemetry WHERE device = '${deviceId}' AND time >= 0 AND time < '2200-01-01T00:00:00Z'`,
  );
  return rows.map((r) => ({ time: Number(r[0]), boot: Number(r[1]), seq: Number(r[2]) }));
}

/** Every point of a device as "boot/seq" → number of points. */
export async function devicePoints(base: string, db: string, deviceId: string): Promise<Map<string, number>> {
  if (!/^[a-z0-9-]+$/.test(deviceId)) throw new Error(`bad device id ${deviceId}`);
  const rows = await influxRows(
    base,
    db,
    `SELECT boot, seq FROM telemetry WHERE device = '${deviceId}' AND time >= 0 AND time < '2200-01-01T00:00:00Z'`,
  );
  const counts = new Map<string, number>();
  for (const r of rows) {
    const key = `${r[1]}/${r[2]}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

export async function lossAudit(input: AuditInput): Promise<AuditResult> {
  const byDevice = new Map<string, { boot: number; seqs: number[] }[]>();
  for (const a of input.acked) {
    const list = byDevice.get(a.id) ?? [];
    list.push(a);
    byDevice.set(a.id, list);
  }
  const r: AuditResult = {
    acked: 0,
    found: 0,
    missing: 0,
    duplicates: 0,
    unacknowledgedPoints: 0,
    evictions: input.evictions,
    explained: 0,
    unexplained: 0,
    examples: [],
  };
  const missingKeys: [string, number, number][] = [];
  const devices = [...byDevice.keys()];
  let next = 0;
  const worker = async () => {
    while (next < devices.length) {
      const id = devices[next++] as string;
      const points = await devicePoints(input.influxUrl, input.db, id);
      const ackedKeys = new Set<string>();
      for (const { boot, seqs } of byDevice.get(id) ?? []) {
        for (const seq of seqs) {
          const key = `${boot}/${seq}`;
          if (ackedKeys.has(key)) continue; // acknowledged twice (a resend after a lost PUBACK): one record
          ackedKeys.add(key);
          r.acked++;
          if ((points.get(key) ?? 0) > 0) r.found++;
          else missingKeys.push([id, boot, seq]);
        }
      }
      for (const [key, n] of points) {
        if (n > 1) {
          r.duplicates++;
          if (r.examples.length < 10) r.examples.push(`duplicate ${id}/${key} ×${n}`);
        }
        if (!ackedKeys.has(key)) r.unacknowledgedPoints++;
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  r.missing = missingKeys.length;
  // A missing record is explained only by a counted eviction: it must have been committed at the
  // gateway (in its history) and be gone from its outbox, and there must be an eviction to count it.
  let evictedHere = 0;
  if (missingKeys.length > 0 && input.gatewayDataDir && input.evictions > 0) {
    const db = new Sqlite(join(input.gatewayDataDir, STORE_FILE), { readonly: true });
    try {
      const inHistory = db.prepare('SELECT 1 FROM telemetry WHERE device_id = ? AND boot = ? AND seq = ?');
      const inOutbox = db.prepare(
        "SELECT 1 FROM outbox WHERE kind = 'telemetry' AND json_extract(record, '$.deviceId') = ? AND json_extract(record, '$.boot') = ? AND json_extract(record, '$.seq') = ? LIMIT 1",
      );
      for (const [id, boot, seq] of missingKeys) {
        if (evictedHere < input.evictions && inHistory.get(id, boot, seq) && !inOutbox.get(id, boot, seq)) evictedHere++;
        else if (r.examples.length < 10) r.examples.push(`missing ${id}/${boot}/${seq}`);
      }
    } finally {
      db.close();
    }
  } else {
    for (const [id, boot, seq] of missingKeys.slice(0, 10 - r.examples.length)) r.examples.push(`missing ${id}/${boot}/${seq}`);
  }
  r.explained = evictedHere;
  r.unexplained = r.missing - evictedHere;
  return r;
}
