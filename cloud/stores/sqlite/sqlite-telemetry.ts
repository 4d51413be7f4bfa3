import { readingTimeMs } from '../reading-time.js';
import type { Bucket, HistoryQuery, Series, StoredPoint, Telemetry, TelemetryStore } from '../types.js';
import type { SqliteDriver } from './sqlite-driver.js';

const COLUMNS = 'device_id, gateway_id, boot, seq, time_ms, device_ts, rx_ts, temperature, heater, sensor, rssi';

/**
 * Embedded telemetry: one row per (device, gateway, boot, seq), the idempotency key itself, so a
 * replay is INSERT OR IGNORE'd; history buckets are computed by GROUP BY on the bucket start. A
 * device is read as its org's series: its rows from the org's gateways.
 */
export class SqliteTelemetryStore implements TelemetryStore {
  readonly backend = 'sqlite';
  constructor(private readonly d: SqliteDriver) {}

  async open(): Promise<void> {
    const db = this.d.db;
    db.transaction(() => {
      // Before device ids were per org, a (device, boot, seq) was one point whichever gateway sent
      // it; now two orgs' `kit-1` are two devices, so the gateway is part of the key (as it is of an
      // InfluxDB series). An older table is rebuilt once, every row kept.
      const cols = db.prepare('PRAGMA table_info(telemetry)').all() as { name: string; pk: number }[];
      const old = cols.length > 0 && !cols.some((c) => c.name === 'gateway_id' && c.pk > 0);
      if (old) db.exec('ALTER TABLE telemetry RENAME TO telemetry_v1; DROP INDEX IF EXISTS telemetry_device_time;');
      db.exec(`CREATE TABLE IF NOT EXISTS telemetry (device_id TEXT NOT NULL, gateway_id TEXT NOT NULL, boot INTEGER NOT NULL,
        seq INTEGER NOT NULL, time_ms INTEGER NOT NULL, device_ts INTEGER NULL, rx_ts INTEGER NOT NULL, temperature REAL NULL,
        heater INTEGER NOT NULL, sensor TEXT NOT NULL, rssi INTEGER NULL, PRIMARY KEY (device_id, gateway_id, boot, seq)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS telemetry_device_time ON telemetry (device_id, time_ms);`);
      if (old) {
        db.exec(`INSERT INTO telemetry (${COLUMNS}) SELECT ${COLUMNS} FROM telemetry_v1; DROP TABLE telemetry_v1;`);
      }
    })();
  }
  async close(): Promise<void> {}
  async ping(): Promise<void> {
    this.d.db.prepare('SELECT 1').get();
  }

  async write(gatewayId: string, records: readonly Telemetry[]): Promise<undefined> {
    if (records.length === 0) return undefined;
    const stmt = this.d.db.prepare(`INSERT OR IGNORE INTO telemetry (device_id, boot, seq, gateway_id, time_ms, device_ts, rx_ts,
      temperature, heater, sensor, rssi) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    await this.d.exclusive(() =>
      this.d.db.transaction(() => {
        for (const r of records) {
          stmt.run(
            r.deviceId,
            r.boot,
            r.seq,
            gatewayId,
            readingTimeMs(r),
            r.ts,
            r.rxTs,
            r.tempC,
            r.heater ? 1 : 0,
            r.sensor,
            r.rssi ?? null,
          );
        }
      })(),
    );
    return undefined;
  }

  async history(q: HistoryQuery): Promise<Bucket[]> {
    const rows = this.d.db
      .prepare(
        `SELECT (time_ms - (time_ms % ?)) AS b, AVG(temperature) AS mean, MIN(temperature) AS min, MAX(temperature) AS max,
          COUNT(temperature) AS c, AVG(heater) AS heat FROM telemetry WHERE ${seriesWhere(q)} AND time_ms >= ? AND time_ms < ?
          GROUP BY b ORDER BY b`,
      )
      .all(q.everyMs, q.deviceId, ...q.gatewayIds, q.fromMs, q.toMs) as {
      b: number;
      mean: number | null;
      min: number | null;
      max: number | null;
      c: number;
      heat: number | null;
    }[];
    // Like InfluxDB's fill(none): buckets without any temperature are left out.
    return rows.filter((r) => r.c > 0).map((r) => ({ ts: r.b, mean: r.mean, min: r.min, max: r.max, count: r.c, heaterOn: r.heat }));
  }

  async points(series: Series, fromMs: number, toMs: number, limit?: number): Promise<StoredPoint[]> {
    const rows = this.d.db
      .prepare(`SELECT * FROM telemetry WHERE ${seriesWhere(series)} AND time_ms >= ? AND time_ms < ? ORDER BY time_ms, boot, seq LIMIT ?`)
      .all(series.deviceId, ...series.gatewayIds, fromMs, toMs, limit ?? -1) as Record<string, number | string | null>[];
    return rows.map((r) => ({
      ts: Number(r.time_ms),
      gatewayId: String(r.gateway_id),
      deviceId: String(r.device_id),
      boot: Number(r.boot),
      seq: Number(r.seq),
      temperature: r.temperature === null ? null : Number(r.temperature),
      heater: r.heater === 1,
      sensor: String(r.sensor),
      rssi: r.rssi === null ? null : Number(r.rssi),
    }));
  }
}

/** The device and its org's gateways, as placeholders (device id first, then the gateways). */
function seriesWhere(s: Series): string {
  return `device_id = ? AND gateway_id IN (${s.gatewayIds.map(() => '?').join(',') || 'NULL'})`;
}
