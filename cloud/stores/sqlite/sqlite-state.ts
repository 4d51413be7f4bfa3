import { newestStatus, newestTelemetry } from '../redis/redis-store.js';
import { DEFAULT_ORG, type DeviceState, type StateStore, type Status, type Telemetry } from '../types.js';
import type { SqliteDriver } from './sqlite-driver.js';

const STATE_COLUMNS = 'device_id, gateway_id, seen, tboot, tseq, ts, rx, temp, sensor, heater, rssi, sboot, srx, state, fw';

/**
 * Embedded latest state, keyed by (org, device): the same compare-and-set rules as the Redis
 * script, as conditional upserts (telemetry by (boot, seq), status by (boot, rxTs), `seen` only forward),
 * and the same provisioning epoch before them (`device_epoch`, docs/adr/082-ingest-keeps-what-it-can.md).
 */
export class SqliteStateStore implements StateStore {
  readonly backend = 'sqlite';
  constructor(
    private readonly d: SqliteDriver,
    private readonly heartbeatTtlS: number,
  ) {}

  async open(): Promise<void> {
    const db = this.d.db;
    db.transaction(() => {
      // Device ids are per org: the state of an older file (keyed by device alone) is rebuilt once,
      // each row given its device's org (the meta store's, when it lives in this file; else the default org).
      const cols = db.prepare('PRAGMA table_info(device_state)').all() as { name: string }[];
      const old = cols.length > 0 && !cols.some((c) => c.name === 'org_id');
      if (old) db.exec('ALTER TABLE device_state RENAME TO device_state_v1');
      db.exec(`CREATE TABLE IF NOT EXISTS device_state (org_id TEXT NOT NULL, device_id TEXT NOT NULL, gateway_id TEXT,
        seen INTEGER NOT NULL, tboot INTEGER, tseq INTEGER, ts INTEGER, rx INTEGER, temp REAL, sensor TEXT, heater INTEGER,
        rssi INTEGER, sboot INTEGER, srx INTEGER, state TEXT, fw TEXT, PRIMARY KEY (org_id, device_id));
        CREATE TABLE IF NOT EXISTS gateway_heartbeat (gateway_id TEXT PRIMARY KEY, expires_ms INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS device_epoch (org_id TEXT NOT NULL, device_id TEXT NOT NULL, ep INTEGER NOT NULL,
          PRIMARY KEY (org_id, device_id));`);
      if (old) {
        const devices = db.prepare('PRAGMA table_info(devices)').all() as { name: string }[];
        const org = devices.some((c) => c.name === 'org_id')
          ? `COALESCE((SELECT org_id FROM devices WHERE devices.id = s.device_id LIMIT 1), '${DEFAULT_ORG}')`
          : `'${DEFAULT_ORG}'`;
        db.exec(`INSERT INTO device_state (org_id, ${STATE_COLUMNS}) SELECT ${org}, ${STATE_COLUMNS.replace(/(\w+)/g, 's.$1')}
          FROM device_state_v1 s; DROP TABLE device_state_v1;`);
      }
    })();
  }
  async close(): Promise<void> {}
  async ping(): Promise<void> {
    this.d.db.prepare('SELECT 1').get();
  }

  async apply(
    gatewayId: string,
    orgId: string,
    telemetry: readonly Telemetry[],
    status: readonly Status[],
    _nowMs: number,
    epochs: ReadonlyMap<string, number> = new Map(),
  ): Promise<void> {
    const db = this.d.db;
    const epochOf = db.prepare('SELECT ep FROM device_epoch WHERE org_id = ? AND device_id = ?').pluck();
    const setEpoch = db.prepare(`INSERT INTO device_epoch (org_id, device_id, ep) VALUES (?, ?, ?)
      ON CONFLICT(org_id, device_id) DO UPDATE SET ep = excluded.ep`);
    const dropState = db.prepare('DELETE FROM device_state WHERE org_id = ? AND device_id = ?');
    const seen = db.prepare(`INSERT INTO device_state (org_id, device_id, seen) VALUES (?, ?, ?)
      ON CONFLICT(org_id, device_id) DO UPDATE SET seen = MAX(seen, excluded.seen)`);
    const setTel =
      db.prepare(`UPDATE device_state SET gateway_id = ?, tboot = ?, tseq = ?, ts = ?, rx = ?, temp = ?, sensor = ?, heater = ?,
      rssi = ? WHERE org_id = ? AND device_id = ? AND (tboot IS NULL OR ? > tboot OR (? = tboot AND ? > tseq))`);
    const st = db.prepare(`UPDATE device_state SET gateway_id = ?, sboot = ?, srx = ?, state = ?, fw = ?
      WHERE org_id = ? AND device_id = ? AND (sboot IS NULL OR ? > sboot OR (? = sboot AND ? > srx))`);
    const hb = db.prepare(`INSERT INTO gateway_heartbeat (gateway_id, expires_ms) VALUES (?, ?)
      ON CONFLICT(gateway_id) DO UPDATE SET expires_ms = excluded.expires_ms`);
    await this.d.exclusive(() =>
      db.transaction(() => {
        // A new epoch (a replacement unit under the id) drops the state first; the same one again changes nothing.
        for (const [id, ep] of epochs) {
          if (ep > ((epochOf.get(orgId, id) as number | undefined) ?? 0)) {
            dropState.run(orgId, id);
            setEpoch.run(orgId, id, ep);
          }
        }
        // Records received before their device's epoch are a replaced unit's: they change no state.
        const eps = new Map<string, number>();
        const current = (r: { deviceId: string; rxTs: number }) => {
          let ep = eps.get(r.deviceId);
          if (ep === undefined) {
            ep = (epochOf.get(orgId, r.deviceId) as number | undefined) ?? 0;
            eps.set(r.deviceId, ep);
          }
          return r.rxTs >= ep;
        };
        const tel = telemetry.filter(current);
        const sts = status.filter(current);
        for (const r of [...tel, ...sts]) seen.run(orgId, r.deviceId, r.rxTs);
        for (const r of newestTelemetry(tel)) {
          setTel.run(
            gatewayId,
            r.boot,
            r.seq,
            r.ts,
            r.rxTs,
            r.tempC,
            r.sensor,
            r.heater ? 1 : 0,
            r.rssi ?? null,
            orgId,
            r.deviceId,
            r.boot,
            r.boot,
            r.seq,
          );
        }
        for (const s of newestStatus(sts))
          st.run(gatewayId, s.boot, s.rxTs, s.state, s.fw ?? null, orgId, s.deviceId, s.boot, s.boot, s.rxTs);
        // Like the Redis key's TTL, the heartbeat expires in wall-clock time.
        hb.run(gatewayId, Date.now() + this.heartbeatTtlS * 1000);
      })(),
    );
  }

  async latest(orgId: string, deviceIds: readonly string[], nowMs: number): Promise<Map<string, DeviceState>> {
    const out = new Map<string, DeviceState>();
    const stmt = this.d.db.prepare('SELECT * FROM device_state WHERE org_id = ? AND device_id = ?');
    for (const id of deviceIds) {
      const r = stmt.get(orgId, id) as Record<string, number | string | null> | undefined;
      if (r) out.set(id, this.toState(r, nowMs));
    }
    return out;
  }

  async onlineDevices(orgId: string, nowMs: number): Promise<string[]> {
    const rows = this.d.db
      .prepare('SELECT * FROM device_state WHERE org_id = ? AND seen >= ? ORDER BY device_id')
      .all(orgId, nowMs - this.heartbeatTtlS * 1000) as Record<string, number | string | null>[];
    return rows
      .map((r) => this.toState(r, nowMs))
      .filter((s) => s.online)
      .map((s) => s.deviceId);
  }

  async gatewayAlive(gatewayId: string): Promise<boolean> {
    const r = this.d.db.prepare('SELECT expires_ms FROM gateway_heartbeat WHERE gateway_id = ?').get(gatewayId) as
      | { expires_ms: number }
      | undefined;
    return r !== undefined && r.expires_ms > Date.now();
  }

  private toState(r: Record<string, number | string | null>, nowMs: number): DeviceState {
    const n = (v: number | string | null | undefined) => (v === null || v === undefined ? null : Number(v));
    const status = r.state === 'online' || r.state === 'offline' ? r.state : null;
    const statusTs = n(r.srx);
    const offlineByStatus = status === 'offline' && statusTs !== null && statusTs >= (n(r.rx) ?? 0);
    const lastSeenMs = n(r.seen);
    return {
      deviceId: String(r.device_id),
      gatewayId: r.gateway_id === null ? null : String(r.gateway_id),
      boot: n(r.tboot),
      seq: n(r.tseq),
      ts: n(r.ts),
      rxTs: n(r.rx),
      tempC: n(r.temp),
      sensor: r.sensor === null ? null : String(r.sensor),
      heater: r.heater === null ? null : r.heater === 1,
      rssi: n(r.rssi),
      status,
      statusTs,
      fw: r.fw ? String(r.fw) : null,
      lastSeenMs,
      online: lastSeenMs !== null && lastSeenMs >= nowMs - this.heartbeatTtlS * 1000 && !offlineByStatus,
    };
  }
}
