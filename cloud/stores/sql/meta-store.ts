import type { CookSpec } from '../../../shared/cook.js';
import type {
  ApiKeyRow,
  AuditFilter,
  AuditRow,
  CommandResultRow,
  CookRow,
  DeadLetterRow,
  DesiredCook,
  DesiredDeviceState,
  DeviceRow,
  EventFilter,
  EventRow,
  GatewayRow,
  MetaBatch,
  MetaStore,
  Page,
  PageRequest,
  Role,
} from '../types.js';
import { adoptCooks } from './adopt.js';
import { type Dialect, insertIgnore, type SqlDriver, type SqlValue } from './driver.js';
import { MIGRATIONS, MIGRATIONS_TABLE } from './migrations.js';
import { apiKeyRow, auditRow, commandResultRow, cookRow, desiredRow, deviceRow, eventRow, gatewayRow } from './rows.js';

/** Upserts differ by dialect; everything else is shared SQL with `?` placeholders. */
const UPSERT = {
  devices: {
    mysql: `ON DUPLICATE KEY UPDATE gateway_id = IF(VALUES(last_seen_ms) >= last_seen_ms, VALUES(gateway_id), gateway_id),
      last_seen_ms = GREATEST(last_seen_ms, VALUES(last_seen_ms))`,
    sqlite: `ON CONFLICT(id) DO UPDATE SET gateway_id = CASE WHEN excluded.last_seen_ms >= last_seen_ms THEN excluded.gateway_id ELSE gateway_id END,
      last_seen_ms = MAX(last_seen_ms, excluded.last_seen_ms)`,
  },
  desired: {
    mysql: `ON DUPLICATE KEY UPDATE gateway_id = VALUES(gateway_id), cook_id = VALUES(cook_id), version = VALUES(version),
      spec = VALUES(spec), updated_ts = VALUES(updated_ts)`,
    sqlite: `ON CONFLICT(device_id) DO UPDATE SET gateway_id = excluded.gateway_id, cook_id = excluded.cook_id,
      version = excluded.version, spec = excluded.spec, updated_ts = excluded.updated_ts`,
  },
} as const satisfies Record<string, Record<Dialect, string>>;

/** The meta store (MySQL/MariaDB in production, SQLite embedded) over one SQL driver. */
export class SqlMetaStore implements MetaStore {
  readonly backend: string;
  constructor(
    private readonly d: SqlDriver,
    private readonly onOpen: () => Promise<void> = async () => {},
  ) {
    this.backend = d.dialect;
  }

  async open(): Promise<void> {
    await this.onOpen();
  }
  async close(): Promise<void> {
    await this.d.close();
  }
  async ping(): Promise<void> {
    await this.d.query('SELECT 1 AS ok');
  }

  async migrate(): Promise<{ applied: number[]; current: number }> {
    return this.d.withMigrationLock(async () => {
      await this.d.run(MIGRATIONS_TABLE[this.d.dialect]);
      const done = new Set(
        (await this.d.query<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => Number(r.version)),
      );
      const applied: number[] = [];
      for (const m of MIGRATIONS) {
        if (done.has(m.version)) continue;
        // MySQL DDL commits implicitly; the lock keeps two instances from racing, the version row marks completion.
        for (const stmt of m.up[this.d.dialect]) await this.d.run(stmt);
        await this.d.run('INSERT INTO schema_migrations (version, name, applied_ms) VALUES (?, ?, ?)', [m.version, m.name, Date.now()]);
        applied.push(m.version);
      }
      return { applied, current: Math.max(0, ...done, ...applied) };
    });
  }

  async addGateway(g: { id: string; name: string; tokenHash: string; nowMs: number }): Promise<void> {
    await this.d.run('INSERT INTO gateways (id, name, token_hash, created_ms) VALUES (?, ?, ?, ?)', [g.id, g.name, g.tokenHash, g.nowMs]);
  }

  async gatewayByTokenHash(tokenHash: string): Promise<GatewayRow | null> {
    const rows = await this.d.query('SELECT * FROM gateways WHERE token_hash = ? AND revoked_ms IS NULL', [tokenHash]);
    return rows[0] ? gatewayRow(rows[0]) : null;
  }

  async revokeGateway(id: string, nowMs: number): Promise<boolean> {
    return (await this.d.run('UPDATE gateways SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL', [nowMs, id])).affected > 0;
  }

  async listGateways(page: PageRequest): Promise<Page<GatewayRow>> {
    const rows = await this.byId('gateways', page);
    return paged(rows.map(gatewayRow), page.limit, (g) => [g.id]);
  }

  async ingest(gatewayId: string, b: MetaBatch, nowMs: number): Promise<{ inserted: number; duplicates: number }> {
    return this.d.tx(async (d) => {
      // Sorted ids: concurrent batches lock device rows in the same order (no deadlock cycles).
      const devices = [...b.devices.entries()].sort(([a], [z]) => (a < z ? -1 : a > z ? 1 : 0));
      for (let i = 0; i < devices.length; i += 500) {
        const chunk = devices.slice(i, i + 500);
        await d.run(
          `INSERT INTO devices (id, gateway_id, first_seen_ms, last_seen_ms) VALUES ${chunk.map(() => '(?,?,?,?)').join(',')} ${UPSERT.devices[d.dialect]}`,
          chunk.flatMap(([id, seen]) => [id, gatewayId, seen, seen]),
        );
      }
      let inserted = 0;
      inserted += await insertIgnore(
        d,
        'events',
        ['id', 'gateway_id', 'device_id', 'type', 'severity', 'ts', 'safety', 'data'],
        b.events.map((e) => [e.id, gatewayId, e.deviceId, e.type, e.severity, e.ts, e.safety ? 1 : 0, JSON.stringify(e.data)]),
      );
      inserted += await insertIgnore(
        d,
        'audit',
        AUDIT_COLS,
        b.audit.map((a) => auditValues({ ...a, gatewayId })),
      );
      inserted += await insertIgnore(
        d,
        'command_results',
        ['id', 'gateway_id', 'device_id', 'op', 'expect', 'issued_ts', 'ack_ts', 'outcome', 'heater', 'err', 'attempts'],
        b.commandResults.map((c) => [
          c.id,
          gatewayId,
          c.deviceId,
          c.op,
          c.expect ?? null,
          c.issuedTs,
          c.ackTs,
          c.outcome,
          c.heater === undefined ? null : c.heater ? 1 : 0,
          c.err ?? null,
          c.attempts,
        ]),
      );
      inserted += await insertIgnore(
        d,
        'cooks',
        ['id', 'gateway_id', 'device_id', 'version', 'state', 'spec', 'started_ts', 'updated_ts'],
        b.cooks.map((c) => [c.id, gatewayId, c.deviceId, c.version, c.state, JSON.stringify(c.spec), c.startedTs, c.updatedTs]),
      );
      await insertIgnore(
        d,
        'dead_letters',
        ['gateway_id', 'batch_id', 'idx', 'reasons', 'payload', 'received_ms'],
        (b.deadLetters ?? []).map((x) => [gatewayId, b.batchId, x.index, JSON.stringify(x.reasons), x.payload, nowMs]),
      );
      await d.run(
        'UPDATE gateways SET last_seen_ms = CASE WHEN last_seen_ms IS NULL OR last_seen_ms < ? THEN ? ELSE last_seen_ms END, backlog = ? WHERE id = ?',
        [nowMs, nowMs, JSON.stringify(b.backlog), gatewayId],
      );
      // A cook changed at the kitchen, stamped later than the desired one, becomes the desired cook (docs/sync.md).
      await adoptCooks(d, gatewayId, b.cooks);
      const total = b.events.length + b.audit.length + b.commandResults.length + b.cooks.length;
      return { inserted, duplicates: total - inserted };
    });
  }

  async listDevices(page: PageRequest, gatewayId?: string): Promise<Page<DeviceRow>> {
    const rows = await this.byId('devices', page, gatewayId === undefined ? undefined : ['gateway_id = ?', gatewayId]);
    return paged(rows.map(deviceRow), page.limit, (r) => [r.id]);
  }

  async getDevice(id: string): Promise<DeviceRow | null> {
    const rows = await this.d.query('SELECT * FROM devices WHERE id = ?', [id]);
    return rows[0] ? deviceRow(rows[0]) : null;
  }

  async listEvents(f: EventFilter, page: PageRequest): Promise<Page<EventRow>> {
    const where: [string, SqlValue][] = [];
    if (f.deviceId !== undefined) where.push(['device_id = ?', f.deviceId]);
    if (f.gatewayId !== undefined) where.push(['gateway_id = ?', f.gatewayId]);
    if (f.type !== undefined) where.push(['type = ?', f.type]);
    const sev = f.severities ?? [];
    const rows = await this.newestFirst(
      'events',
      where,
      f,
      page,
      sev.length ? [`severity IN (${sev.map(() => '?').join(',')})`, sev] : undefined,
    );
    return paged(rows.map(eventRow), page.limit, (e) => [e.ts, e.id]);
  }

  async listAudit(f: AuditFilter, page: PageRequest): Promise<Page<AuditRow>> {
    const where: [string, SqlValue][] = [];
    if (f.deviceId !== undefined) where.push(['device_id = ?', f.deviceId]);
    if (f.actorId !== undefined) where.push(['actor_id = ?', f.actorId]);
    if (f.action !== undefined) where.push(['action = ?', f.action]);
    const rows = await this.newestFirst('audit', where, f, page);
    return paged(rows.map(auditRow), page.limit, (a) => [a.ts, a.id]);
  }

  async listCommandResults(deviceId: string, page: PageRequest): Promise<Page<CommandResultRow>> {
    const params: SqlValue[] = [deviceId];
    let cursor = '';
    const [ts, id] = page.after ?? [];
    if (ts !== undefined && id !== undefined) {
      cursor = ' AND (issued_ts < ? OR (issued_ts = ? AND id < ?))';
      params.push(Number(ts), Number(ts), String(id));
    }
    const rows = await this.d.query(
      `SELECT * FROM command_results WHERE device_id = ?${cursor} ORDER BY issued_ts DESC, id DESC LIMIT ${page.limit + 1}`,
      params,
    );
    return paged(rows.map(commandResultRow), page.limit, (c) => [c.issuedTs, c.id]);
  }

  async latestCook(deviceId: string): Promise<CookRow | null> {
    // By stamp (when the cook was started, changed or stopped), then version, then how far along its lifecycle it is.
    const rows = await this.d.query(
      `SELECT * FROM cooks WHERE device_id = ? ORDER BY updated_ts DESC, version DESC,
        CASE state WHEN 'heating' THEN 0 WHEN 'holding' THEN 1 ELSE 2 END DESC, id DESC LIMIT 1`,
      [deviceId],
    );
    return rows[0] ? cookRow(rows[0]) : null;
  }

  async cooksStarted(fromMs: number, toMs: number, limit: number): Promise<CookRow[]> {
    const rows = await this.d.query(
      `SELECT * FROM cooks WHERE started_ts >= ? AND started_ts < ? ORDER BY started_ts DESC, id DESC LIMIT ${Math.trunc(limit)}`,
      [fromMs, toMs],
    );
    return rows.map(cookRow);
  }

  async cookRecords(cookId: string): Promise<CookRow[]> {
    // "!" as the LIKE escape: the same in MySQL and SQLite (a backslash is not).
    const prefix = `${cookId.replace(/[!%_]/g, (c) => `!${c}`)}-v%`;
    const rows = await this.d.query("SELECT * FROM cooks WHERE id LIKE ? ESCAPE '!' ORDER BY updated_ts, version", [prefix]);
    return rows.map(cookRow);
  }

  async nextCookStart(deviceId: string, afterTs: number): Promise<number | null> {
    const rows = await this.d.query('SELECT MIN(started_ts) AS next FROM cooks WHERE device_id = ? AND started_ts > ?', [
      deviceId,
      afterTs,
    ]);
    const next = rows[0]?.next;
    return next === null || next === undefined ? null : Number(next);
  }

  async listDeadLetters(page: PageRequest): Promise<Page<DeadLetterRow>> {
    const params: SqlValue[] = [];
    let cursor = '';
    const [ms, gw, batch, idx] = page.after ?? [];
    if (ms !== undefined && gw !== undefined && batch !== undefined && idx !== undefined) {
      cursor = ' WHERE (received_ms, gateway_id, batch_id, idx) < (?, ?, ?, ?)';
      params.push(Number(ms), String(gw), String(batch), Number(idx));
    }
    const rows = await this.d.query(
      `SELECT * FROM dead_letters${cursor} ORDER BY received_ms DESC, gateway_id DESC, batch_id DESC, idx DESC LIMIT ${page.limit + 1}`,
      params,
    );
    const items = rows.map((r) => ({
      gatewayId: String(r.gateway_id),
      batchId: String(r.batch_id),
      index: Number(r.idx),
      reasons: JSON.parse(String(r.reasons)) as string[],
      payload: String(r.payload),
      receivedMs: Number(r.received_ms),
    }));
    return paged(items, page.limit, (x) => [x.receivedMs, x.gatewayId, x.batchId, x.index]);
  }

  async addAudit(row: AuditRow): Promise<void> {
    await insertIgnore(this.d, 'audit', AUDIT_COLS, [auditValues(row)]);
  }

  async countRows(table: 'events' | 'audit' | 'command_results' | 'cooks' | 'devices' | 'dead_letters'): Promise<number> {
    const rows = await this.d.query<{ c: number }>(`SELECT COUNT(*) AS c FROM ${table}`);
    return Number(rows[0]?.c ?? 0);
  }

  async setDesiredCook(
    deviceId: string,
    spec: CookSpec | null,
    cookId: string,
    nowMs: number,
    audit: AuditRow,
  ): Promise<DesiredCook | null> {
    return this.d.tx(async (d) => {
      const lock = d.dialect === 'mysql' ? ' FOR UPDATE' : '';
      const dev = (await d.query<{ gateway_id: string }>(`SELECT gateway_id FROM devices WHERE id = ?${lock}`, [deviceId]))[0];
      if (!dev) return null;
      const gw = dev.gateway_id;
      await d.run('UPDATE gateways SET desired_version = desired_version + 1 WHERE id = ?', [gw]);
      const version = Number((await d.query<{ v: number }>('SELECT desired_version AS v FROM gateways WHERE id = ?', [gw]))[0]?.v ?? 0);
      const current = (await d.query(`SELECT * FROM desired_cooks WHERE device_id = ?${lock}`, [deviceId]))[0];
      // Stopping keeps the id of the cook being stopped, so the gateway knows which one ends.
      const id = spec === null && current ? String(current.cook_id) : cookId;
      // The stamp of a change comes after the cook it replaces (which may carry the gateway's clock): docs/sync.md.
      const updatedTs = Math.max(nowMs, current ? Number(current.updated_ts) + 1 : 0);
      await d.run(
        `INSERT INTO desired_cooks (device_id, gateway_id, cook_id, version, spec, updated_ts) VALUES (?, ?, ?, ?, ?, ?) ${UPSERT.desired[d.dialect]}`,
        [deviceId, gw, id, version, spec === null ? null : JSON.stringify(spec), updatedTs],
      );
      await insertIgnore(d, 'audit', AUDIT_COLS, [auditValues({ ...audit, data: { ...audit.data, cookId: id, version } })]);
      return { deviceId, gatewayId: gw, cookId: id, version, spec, updatedTs };
    });
  }

  async getDesiredCook(deviceId: string): Promise<DesiredCook | null> {
    const rows = await this.d.query('SELECT * FROM desired_cooks WHERE device_id = ?', [deviceId]);
    return rows[0] ? desiredRow(rows[0]) : null;
  }

  async desiredFor(gatewayId: string, sinceVersion: number): Promise<{ version: number; devices: DesiredDeviceState[] } | null> {
    const gw = (await this.d.query<{ v: number }>('SELECT desired_version AS v FROM gateways WHERE id = ?', [gatewayId]))[0];
    const version = Number(gw?.v ?? 0);
    if (version <= sinceVersion) return null;
    const rows = (await this.d.query('SELECT * FROM desired_cooks WHERE gateway_id = ? ORDER BY device_id', [gatewayId])).map(desiredRow);
    return {
      version,
      devices: rows.map((r) => ({
        deviceId: r.deviceId,
        cook: r.spec === null ? null : { id: r.cookId, version: r.version, spec: r.spec, updatedTs: r.updatedTs },
      })),
    };
  }

  async addApiKey(k: { id: string; keyHash: string; role: Role; owner: string; nowMs: number }): Promise<void> {
    await this.d.run('INSERT INTO api_keys (id, key_hash, role, owner, created_ms) VALUES (?, ?, ?, ?, ?)', [
      k.id,
      k.keyHash,
      k.role,
      k.owner,
      k.nowMs,
    ]);
  }

  async apiKeyByHash(keyHash: string): Promise<ApiKeyRow | null> {
    const rows = await this.d.query('SELECT * FROM api_keys WHERE key_hash = ? AND revoked_ms IS NULL', [keyHash]);
    return rows[0] ? apiKeyRow(rows[0]) : null;
  }

  async listApiKeys(page: PageRequest): Promise<Page<ApiKeyRow>> {
    const rows = await this.byId('api_keys', page);
    return paged(rows.map(apiKeyRow), page.limit, (k) => [k.id]);
  }

  async revokeApiKey(id: string, nowMs: number): Promise<boolean> {
    return (await this.d.run('UPDATE api_keys SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL', [nowMs, id])).affected > 0;
  }

  private byId(table: string, page: PageRequest, filter?: [string, SqlValue]) {
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (filter) {
      where.push(filter[0]);
      params.push(filter[1]);
    }
    if (page.after?.[0] !== undefined) {
      where.push('id > ?');
      params.push(String(page.after[0]));
    }
    const clause = where.length ? ` WHERE ${where.join(' AND ')}` : '';
    return this.d.query(`SELECT * FROM ${table}${clause} ORDER BY id LIMIT ${page.limit + 1}`, params);
  }

  private newestFirst(
    table: string,
    eq: [string, SqlValue][],
    range: { fromMs?: number; toMs?: number },
    page: PageRequest,
    inList?: [string, readonly string[]],
  ) {
    const where = eq.map(([c]) => c);
    const params: SqlValue[] = eq.map(([, v]) => v);
    if (inList) {
      where.push(inList[0]);
      params.push(...inList[1]);
    }
    if (range.fromMs !== undefined) {
      where.push('ts >= ?');
      params.push(range.fromMs);
    }
    if (range.toMs !== undefined) {
      where.push('ts < ?');
      params.push(range.toMs);
    }
    const [ts, id] = page.after ?? [];
    if (ts !== undefined && id !== undefined) {
      where.push('(ts < ? OR (ts = ? AND id < ?))');
      params.push(Number(ts), Number(ts), String(id));
    }
    const clause = where.length ? ` WHERE ${where.join(' AND ')}` : '';
    return this.d.query(`SELECT * FROM ${table}${clause} ORDER BY ts DESC, id DESC LIMIT ${page.limit + 1}`, params);
  }
}

const AUDIT_COLS = ['id', 'gateway_id', 'ts', 'actor_type', 'actor_id', 'device_id', 'action', 'reason', 'data'];
function auditValues(a: AuditRow): SqlValue[] {
  return [a.id, a.gatewayId, a.ts, a.actor.type, a.actor.id ?? null, a.deviceId, a.action, a.reason, JSON.stringify(a.data)];
}

/** Queries fetch limit + 1 rows: the extra one only says whether a next page exists. */
function paged<T>(rows: T[], limit: number, key: (row: T) => (string | number)[]): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, next: rows.length > limit && last !== undefined ? key(last) : null };
}
