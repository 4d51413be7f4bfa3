import type { Ack, Alarm } from '../../../shared/alarms/lifecycle.js';
import { ALARM_STATE_SQL } from '../../../shared/alarms/row.js';
import type { CookSpec } from '../../../shared/cook.js';
import type { Preset, PresetSpec } from '../../../shared/presets.js';
import { type ChannelKeys, NO_KEYS } from '../../notify/sealed-config.js';
import type {
  AlarmFilter,
  AlarmRow,
  ApiKeyRow,
  AuditFilter,
  AuditRow,
  CommandResultRow,
  CookRow,
  DeadLetterRow,
  DesiredCook,
  DesiredDeviceState,
  DeviceResolution,
  DeviceRow,
  EventFilter,
  EventRow,
  GatewayRow,
  MetaBatch,
  MetaIngestResult,
  MetaStore,
  NotifyIngestRules,
  OrgObjectKind,
  OrgRow,
  Page,
  PageRequest,
  RegistryReport,
  Role,
  Scope,
} from '../types.js';
import { adoptCooks } from './adopt.js';
import { ackAlarmTx, alarmRow, alarmsDown, mergeAlarms } from './alarms.js';
import { type Dialect, insertIgnore, lockOrg, type SqlDriver, type SqlValue } from './driver.js';
import { MIGRATIONS, MIGRATIONS_TABLE } from './migrations.js';
import { enqueueForEvents, SqlNotifyStore } from './notify-store.js';
import * as presets from './preset-store.js';
import { apiKeyRow, auditRow, commandResultRow, cookRow, desiredRow, deviceRow, eventRow, gatewayRow, orgRow, paged } from './rows.js';
import { SqlUserStore } from './user-store.js';

/** Upserts differ by dialect; everything else is shared SQL with `?` placeholders. */
const UPSERT = {
  // A device is (org_id, id): another org's device of the same id is another row. A sighting never
  // moves a device: only its owner's sightings count (resolveDevices ran first).
  devices: {
    mysql: `ON DUPLICATE KEY UPDATE last_seen_ms = IF(gateway_id = VALUES(gateway_id), GREATEST(last_seen_ms, VALUES(last_seen_ms)), last_seen_ms)`,
    sqlite: `ON CONFLICT(org_id, id) DO UPDATE SET last_seen_ms = CASE WHEN gateway_id = excluded.gateway_id
      THEN MAX(last_seen_ms, excluded.last_seen_ms) ELSE last_seen_ms END`,
  },
  desired: {
    mysql: `ON DUPLICATE KEY UPDATE gateway_id = VALUES(gateway_id), cook_id = VALUES(cook_id), version = VALUES(version),
      spec = VALUES(spec), updated_ts = VALUES(updated_ts)`,
    sqlite: `ON CONFLICT(org_id, device_id) DO UPDATE SET gateway_id = excluded.gateway_id, cook_id = excluded.cook_id,
      version = excluded.version, spec = excluded.spec, updated_ts = excluded.updated_ts`,
  },
} as const satisfies Record<string, Record<Dialect, string>>;

/**
 * The live objects of one kind in an org (countLive, the org caps of cloud/routes/org-limits.ts).
 * Each count walks one org's entries of an index that leads with org_id (never another org's rows):
 * - gateways and API keys are never deleted, only revoked (revoked_ms set): a revoked one does not
 *   count. Through gateways_org / api_keys_org (org_id, id), each entry's row is read for revoked_ms,
 *   so the count reads the org's revoked rows too (as many as it ever made; creating them is capped
 *   and rate-limited);
 * - users are removed outright (removeUser); one with disabled_ms set (nothing sets it today) does
 *   not count. An invited user is a row from the invitation on, accepted or not, so it counts.
 *   Through users_org (org_id, id), rows read as above;
 * - channels and presets are deleted outright: every row counts, and the index alone answers
 *   (notify_channels_org (org_id, id); presets' primary key (org_id, name)).
 */
const LIVE_COUNT: Record<OrgObjectKind, string> = {
  gateways: 'SELECT COUNT(*) AS c FROM gateways WHERE org_id = ? AND revoked_ms IS NULL',
  apiKeys: 'SELECT COUNT(*) AS c FROM api_keys WHERE org_id = ? AND revoked_ms IS NULL',
  users: 'SELECT COUNT(*) AS c FROM users WHERE org_id = ? AND disabled_ms IS NULL',
  channels: 'SELECT COUNT(*) AS c FROM notify_channels WHERE org_id = ?',
  presets: 'SELECT COUNT(*) AS c FROM presets WHERE org_id = ?',
};

/**
 * Devices seen by a gateway of `orgId`, `[id, seenMs]`, up to 500 a statement: a new row is the
 * gateway's (first and last seen at `seenMs`); an existing one of the org and the same gateway only
 * moves its `last_seen_ms` forward (UPSERT.devices).
 */
async function upsertDevices(d: SqlDriver, gatewayId: string, orgId: string, seen: readonly [string, number][]): Promise<void> {
  for (let i = 0; i < seen.length; i += 500) {
    const chunk = seen.slice(i, i + 500);
    await d.run(
      `INSERT INTO devices (id, gateway_id, org_id, first_seen_ms, last_seen_ms) VALUES ${chunk.map(() => '(?,?,?,?,?)').join(',')} ${UPSERT.devices[d.dialect]}`,
      chunk.flatMap(([id, ms]) => [id, gatewayId, orgId, ms, ms]),
    );
  }
}

/** The meta store (MySQL/MariaDB in production, SQLite embedded) over one SQL driver. */
export class SqlMetaStore implements MetaStore {
  readonly backend: string;
  readonly users: SqlUserStore;
  readonly notify: SqlNotifyStore;
  constructor(
    private readonly d: SqlDriver,
    private readonly onOpen: () => Promise<void> = async () => {},
    /** notify.secretsKey and previousSecretsKeys derived (cloud/notify/sealed-config.ts); none = configs stored as given. */
    private readonly notifyKeys: ChannelKeys = NO_KEYS,
    notifyRules?: NotifyIngestRules,
  ) {
    this.backend = d.dialect;
    this.users = new SqlUserStore(d);
    this.notify = new SqlNotifyStore(d, notifyKeys, notifyRules);
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

  /** `upTo`: stop after this version (tests that build an older store to upgrade). */
  async migrate(upTo = Number.POSITIVE_INFINITY): Promise<{ applied: number[]; current: number }> {
    return this.d.withMigrationLock(async () => {
      await this.d.run(MIGRATIONS_TABLE[this.d.dialect]);
      const done = new Set(
        (await this.d.query<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => Number(r.version)),
      );
      const applied: number[] = [];
      for (const m of MIGRATIONS) {
        if (done.has(m.version) || m.version > upTo) continue;
        // MySQL DDL commits implicitly; the lock keeps two instances from racing, the version row marks completion.
        // SQLite DDL is transactional: a migration and its version row commit together (a table rebuilt
        // by migration 9 is never left half-way).
        const apply = async (d: SqlDriver) => {
          for (const stmt of m.up[d.dialect]) await d.run(stmt);
          await d.run('INSERT INTO schema_migrations (version, name, applied_ms) VALUES (?, ?, ?)', [m.version, m.name, Date.now()]);
        };
        await (this.d.dialect === 'sqlite' ? this.d.tx(apply) : apply(this.d));
        applied.push(m.version);
      }
      return { applied, current: Math.max(0, ...done, ...applied) };
    });
  }

  async addOrg(o: { id: string; name: string; nowMs: number }): Promise<void> {
    await this.d.run('INSERT INTO orgs (id, name, created_ms) VALUES (?, ?, ?)', [o.id, o.name, o.nowMs]);
  }

  async findOrg(idOrName: string): Promise<OrgRow | null> {
    const rows = await this.d.query('SELECT * FROM orgs WHERE id = ? OR name = ? ORDER BY id = ? DESC LIMIT 1', [
      idOrName,
      idOrName,
      idOrName,
    ]);
    return rows[0] ? orgRow(rows[0]) : null;
  }

  async listOrgs(page: PageRequest): Promise<Page<OrgRow>> {
    const rows = await this.byId('orgs', page, []);
    return paged(rows.map(orgRow), page.limit, (o) => [o.id]);
  }

  async orgOf(table: 'gateways' | 'api_keys', id: string): Promise<string | null> {
    const rows = await this.d.query<{ org_id: string }>(`SELECT org_id FROM ${table} WHERE id = ?`, [id]);
    return rows[0] ? String(rows[0].org_id) : null;
  }

  async orgsOfDevice(id: string): Promise<string[]> {
    const rows = await this.d.query<{ org_id: string }>('SELECT org_id FROM devices WHERE id = ? ORDER BY org_id', [id]);
    return rows.map((r) => String(r.org_id));
  }

  async gatewayIdsOf(orgId: string): Promise<string[]> {
    const rows = await this.d.query<{ id: string }>('SELECT id FROM gateways WHERE org_id = ? ORDER BY id', [orgId]);
    return rows.map((r) => String(r.id));
  }

  async addGateway(g: { id: string; name: string; orgId: string; tokenHash: string; nowMs: number }): Promise<void> {
    await this.d.run('INSERT INTO gateways (id, name, org_id, token_hash, created_ms) VALUES (?, ?, ?, ?, ?)', [
      g.id,
      g.name,
      g.orgId,
      g.tokenHash,
      g.nowMs,
    ]);
  }

  async gatewayByTokenHash(tokenHash: string): Promise<GatewayRow | null> {
    const rows = await this.d.query('SELECT * FROM gateways WHERE token_hash = ? AND revoked_ms IS NULL', [tokenHash]);
    return rows[0] ? gatewayRow(rows[0]) : null;
  }

  async gatewayByPreviousTokenHash(tokenHash: string, nowMs: number): Promise<GatewayRow | null> {
    const rows = await this.d.query('SELECT * FROM gateways WHERE prev_token_hash = ? AND prev_token_until_ms > ? AND revoked_ms IS NULL', [
      tokenHash,
      nowMs,
    ]);
    return rows[0] ? gatewayRow(rows[0]) : null;
  }

  async rotateGatewayToken(scope: Scope, id: string, tokenHash: string, nowMs: number, previousUntilMs: number): Promise<boolean> {
    const [where, params] = scoped(scope, 'id');
    const grace = previousUntilMs > nowMs;
    // Both engines read token_hash's old value on the right of the first assignment.
    const r = await this.d.run(
      `UPDATE gateways SET prev_token_hash = ${grace ? 'token_hash' : 'NULL'}, prev_token_until_ms = ?, token_hash = ?
        WHERE id = ? AND revoked_ms IS NULL AND ${where}`,
      [grace ? previousUntilMs : null, tokenHash, id, ...params],
    );
    return r.affected > 0;
  }

  async getGateway(scope: Scope, id: string): Promise<GatewayRow | null> {
    const [where, params] = scoped(scope, 'id');
    const rows = await this.d.query(`SELECT * FROM gateways WHERE id = ? AND ${where}`, [id, ...params]);
    return rows[0] ? gatewayRow(rows[0]) : null;
  }

  async revokeGateway(scope: Scope, id: string, nowMs: number): Promise<boolean> {
    const [where, params] = scoped(scope, 'id');
    const r = await this.d.run(`UPDATE gateways SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL AND ${where}`, [
      nowMs,
      id,
      ...params,
    ]);
    return r.affected > 0;
  }

  async listGateways(scope: Scope, page: PageRequest): Promise<Page<GatewayRow>> {
    const rows = await this.byId('gateways', page, [scoped(scope, 'id')]);
    return paged(rows.map(gatewayRow), page.limit, (g) => [g.id]);
  }

  async resolveDevices(
    gatewayId: string,
    orgId: string,
    registry: readonly RegistryReport[],
    deviceIds: readonly string[],
    nowMs: number,
  ): Promise<DeviceResolution> {
    const out: DeviceResolution = { refused: new Map(), since: new Map(), epochs: new Map() };
    if (registry.length === 0 && deviceIds.length === 0) return out;
    return this.d.tx(async (d) => {
      const lock = d.dialect === 'mysql' ? ' FOR UPDATE' : '';
      // Sorted ids: concurrent batches lock device rows in the same order (no deadlock cycles).
      const ids = [...new Set([...deviceIds, ...registry.flatMap((r) => [...r.added, ...r.revoked])])].sort();
      // The org's devices of these ids: another org's device of the same id is none of this gateway's business.
      interface Owner {
        gateway: string;
        revokedMs: number | null;
        provisionedMs: number | null;
        movedFrom: string | null;
        movedMs: number | null;
      }
      const owners = new Map<string, Owner>();
      for (let i = 0; i < ids.length; i += 500) {
        const chunk = ids.slice(i, i + 500);
        const rows = await d.query<Record<string, unknown>>(
          `SELECT id, gateway_id, revoked_ms, provisioned_ms, moved_from, moved_ms FROM devices WHERE org_id = ? AND id IN (${chunk.map(() => '?').join(',')})${lock}`,
          [orgId, ...chunk],
        );
        for (const r of rows) {
          owners.set(String(r.id), {
            gateway: String(r.gateway_id),
            revokedMs: nullableNumber(r.revoked_ms),
            provisionedMs: nullableNumber(r.provisioned_ms),
            movedFrom: r.moved_from === null || r.moved_from === undefined ? null : String(r.moved_from),
            movedMs: nullableNumber(r.moved_ms),
          });
        }
      }
      // Decided in memory in the order the gateway made its reports (the last word on a device
      // wins), then written in a few statements: a new gateway's first batch may name thousands.
      const before = new Map([...owners].map(([id, o]) => [id, `${o.revokedMs}/${o.provisionedMs}`]));
      const claimed: string[] = [];
      const claim = (id: string) => {
        owners.set(id, { gateway: gatewayId, revokedMs: null, provisionedMs: null, movedFrom: null, movedMs: null });
        claimed.push(id);
      };
      for (const r of registry) {
        const ts = r.ts ?? nowMs;
        for (const id of r.added) {
          const o = owners.get(id);
          if (!o) claim(id);
          else if (o.gateway === gatewayId && o.revokedMs !== null) {
            // Added again after a revocation: a new unit (or the same one provisioned anew) under
            // this id, whose boot counter may start over: a new latest-state epoch (ADR 082).
            o.revokedMs = null;
            o.provisionedMs = ts;
          }
        }
        for (const id of r.revoked) {
          const o = owners.get(id);
          // The first revocation's stamp is kept: the whole registry, sent again at each gateway
          // start, names revoked devices again and must not move the line (ADR 082).
          if (o?.gateway === gatewayId && o.revokedMs === null) o.revokedMs = ts;
        }
      }
      for (const id of ids) {
        const o = owners.get(id);
        // A device its org does not have yet is claimed by the first gateway of the org that reports it
        // (docs/adr/027-tenancy.md; ids per org: docs/adr/072-device-ids-per-org.md).
        if (!o) claim(id);
        else if (o.gateway !== gatewayId) {
          out.refused.set(id, 'foreign');
          // Moved away from this gateway: what it stamped before the move is still the kit's history.
          if (o.movedFrom === gatewayId && o.movedMs !== null) out.since.set(id, o.movedMs);
        } else if (o.revokedMs !== null) {
          out.refused.set(id, 'revoked');
          out.since.set(id, o.revokedMs);
        }
      }
      for (const r of registry) {
        for (const id of r.added) {
          const o = owners.get(id);
          if (o?.gateway === gatewayId && o.revokedMs === null && o.provisionedMs !== null) out.epochs.set(id, o.provisionedMs);
        }
      }
      await upsertDevices(
        d,
        gatewayId,
        orgId,
        claimed.map((id) => [id, nowMs]),
      );
      // This gateway's devices whose revocation or provisioning changed (a new row starts
      // unrevoked), one statement per distinct pair of values.
      const changed = new Map<string, { revokedMs: number | null; provisionedMs: number | null; ids: string[] }>();
      for (const [id, o] of owners) {
        const key = `${o.revokedMs}/${o.provisionedMs}`;
        if (o.gateway !== gatewayId || key === (before.get(id) ?? 'null/null')) continue;
        const group = changed.get(key) ?? { revokedMs: o.revokedMs, provisionedMs: o.provisionedMs, ids: [] };
        group.ids.push(id);
        changed.set(key, group);
      }
      for (const { revokedMs, provisionedMs, ids: list } of changed.values()) {
        for (let i = 0; i < list.length; i += 500) {
          const chunk = list.slice(i, i + 500);
          await d.run(
            `UPDATE devices SET revoked_ms = ?, provisioned_ms = ? WHERE org_id = ? AND gateway_id = ? AND id IN (${chunk.map(() => '?').join(',')})`,
            [revokedMs, provisionedMs, orgId, gatewayId, ...chunk],
          );
        }
      }
      return out;
    });
  }

  async ingest(gatewayId: string, orgId: string, b: MetaBatch, nowMs: number): Promise<MetaIngestResult> {
    return this.d.tx(async (d) => {
      // Sorted ids: concurrent batches lock device rows in the same order (no deadlock cycles).
      await upsertDevices(
        d,
        gatewayId,
        orgId,
        [...b.devices.entries()].sort(([a], [z]) => (a < z ? -1 : a > z ? 1 : 0)),
      );
      let inserted = 0;
      const newEvents = await insertIgnore(
        d,
        'events',
        ['id', 'gateway_id', 'org_id', 'device_id', 'type', 'severity', 'ts', 'safety', 'data'],
        b.events.map((e) => [e.id, gatewayId, orgId, e.deviceId, e.type, e.severity, e.ts, e.safety ? 1 : 0, JSON.stringify(e.data)]),
      );
      inserted += newEvents;
      inserted += await insertIgnore(
        d,
        'audit',
        AUDIT_COLS,
        b.audit.map((a) => auditValues({ ...a, gatewayId, orgId })),
      );
      inserted += await insertIgnore(
        d,
        'command_results',
        ['id', 'gateway_id', 'org_id', 'device_id', 'op', 'expect', 'issued_ts', 'ack_ts', 'outcome', 'heater', 'err', 'attempts'],
        b.commandResults.map((c) => [
          c.id,
          gatewayId,
          orgId,
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
        ['id', 'gateway_id', 'org_id', 'device_id', 'version', 'state', 'spec', 'started_ts', 'updated_ts'],
        b.cooks.map((c) => [c.id, gatewayId, orgId, c.deviceId, c.version, c.state, JSON.stringify(c.spec), c.startedTs, c.updatedTs]),
      );
      await insertIgnore(d, 'audit', AUDIT_COLS, (b.cloudAudit ?? []).map(auditValues));
      await insertIgnore(
        d,
        'dead_letters',
        ['gateway_id', 'org_id', 'batch_id', 'idx', 'reasons', 'payload', 'received_ms'],
        (b.deadLetters ?? []).map((x) => [gatewayId, orgId, b.batchId, x.index, JSON.stringify(x.reasons), x.payload, nowMs]),
      );
      await d.run(
        `UPDATE gateways SET last_seen_ms = CASE WHEN last_seen_ms IS NULL OR last_seen_ms < ? THEN ? ELSE last_seen_ms END, backlog = ?,
           max_target_c = COALESCE(?, max_target_c) WHERE id = ?`,
        [nowMs, nowMs, JSON.stringify(b.backlog), b.maxTargetC ?? null, gatewayId],
      );
      // A cook changed at the kitchen, stamped later than the desired one, becomes the desired cook (docs/sync.md).
      const notAdopted = b.notAdopted;
      await adoptCooks(d, gatewayId, orgId, notAdopted?.size ? b.cooks.filter((c) => !notAdopted.has(c.deviceId)) : b.cooks);
      const alarms = b.alarms ?? [];
      const changedAlarms = await mergeAlarms(d, gatewayId, orgId, alarms);
      inserted += changedAlarms.length;
      // Notifications the org's rules make of the new events, queued in this transaction (cloud/notify/).
      // A replayed batch (every event known) queues nothing, and counts no skipped event again.
      if (newEvents > 0) await enqueueForEvents(d, orgId, gatewayId, b.events, nowMs, this.notify.ingestRules, b.sentAt ?? nowMs);
      const total = b.events.length + b.audit.length + b.commandResults.length + b.cooks.length + alarms.length;
      return { inserted, duplicates: total - inserted, alarms: changedAlarms };
    });
  }

  async listDevices(scope: Scope, page: PageRequest, gatewayId?: string): Promise<Page<DeviceRow>> {
    const filters = [scoped(scope)];
    if (gatewayId !== undefined) filters.push(['gateway_id = ?', [gatewayId]]);
    const rows = await this.byId('devices', page, filters);
    return paged(rows.map(deviceRow), page.limit, (r) => [r.id]);
  }

  async getDevice(scope: Scope, id: string): Promise<DeviceRow | null> {
    const [where, params] = scoped(scope);
    const rows = await this.d.query(`SELECT * FROM devices WHERE id = ? AND ${where}`, [id, ...params]);
    return rows[0] ? deviceRow(rows[0]) : null;
  }

  async moveDevice(scope: Scope, deviceId: string, toGatewayId: string, nowMs: number, audit: AuditRow): Promise<DeviceRow | null> {
    return this.d.tx(async (d) => {
      const lock = d.dialect === 'mysql' ? ' FOR UPDATE' : '';
      const [where, params] = scoped(scope);
      const dev = (await d.query(`SELECT * FROM devices WHERE id = ? AND ${where}${lock}`, [deviceId, ...params]))[0];
      const gw = (
        await d.query('SELECT id FROM gateways WHERE id = ? AND org_id = ? AND revoked_ms IS NULL', [toGatewayId, scope.orgId])
      )[0];
      if (!dev || !gw) return null;
      const from = String(dev.gateway_id);
      // Only the org's device of this id: another org's device of the same id stays where it is.
      // The old gateway is remembered with the time of the move: what it stamped before still counts (ADR 082).
      await d.run('UPDATE devices SET gateway_id = ?, revoked_ms = NULL, moved_from = ?, moved_ms = ? WHERE org_id = ? AND id = ?', [
        toGatewayId,
        from,
        nowMs,
        scope.orgId,
        deviceId,
      ]);
      // Both gateways hear about it: the old one loses the device's desired cook, the new one gets it.
      // Gateways before the desired cook: the lock order of setDesiredCook and ingest (device, gateway, desired cook).
      await d.run('UPDATE gateways SET desired_version = desired_version + 1 WHERE id IN (?, ?)', [from, toGatewayId]);
      await d.run('UPDATE desired_cooks SET gateway_id = ? WHERE org_id = ? AND device_id = ?', [toGatewayId, scope.orgId, deviceId]);
      await insertIgnore(d, 'audit', AUDIT_COLS, [auditValues({ ...audit, ts: nowMs, data: { ...audit.data, from, to: toGatewayId } })]);
      const row = await d.query('SELECT * FROM devices WHERE org_id = ? AND id = ?', [scope.orgId, deviceId]);
      return deviceRow(row[0] as Record<string, unknown>);
    });
  }

  async listEvents(scope: Scope, f: EventFilter, page: PageRequest): Promise<Page<EventRow>> {
    const where: [string, SqlValue][] = scopeEq(scope);
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

  async listAlarms(scope: Scope, f: AlarmFilter, page: PageRequest): Promise<Page<AlarmRow>> {
    const where: [string, SqlValue][] = scopeEq(scope);
    if (f.deviceId !== undefined) where.push(['device_id = ?', f.deviceId]);
    if (f.gatewayId !== undefined) where.push(['gateway_id = ?', f.gatewayId]);
    if (f.type !== undefined) where.push(['type = ?', f.type]);
    const state: [string, string[]] | undefined = f.state ? [ALARM_STATE_SQL[f.state], []] : undefined;
    const rows = await this.newestFirst('alarms', where, f, page, state, 'raised_ts');
    return paged(rows.map(alarmRow), page.limit, (a) => [a.raisedAt, a.id]);
  }

  async ackAlarm(scope: Scope, id: string, ack: Ack, audit: AuditRow): Promise<{ alarm: AlarmRow; changed: boolean } | null> {
    return this.d.tx(async (d) => {
      const r = await ackAlarmTx(d, scoped(scope), id, ack);
      if (!r) return null;
      const a = r.row;
      const data = { ...audit.data, alarmId: id, type: a.type, severity: a.severity, changed: r.changed };
      await insertIgnore(d, 'audit', AUDIT_COLS, [auditValues({ ...audit, gatewayId: a.gatewayId, deviceId: a.deviceId, data })]);
      return { alarm: a, changed: r.changed };
    });
  }

  async alarmsDown(gatewayId: string, limit: number): Promise<Alarm[]> {
    return alarmsDown(this.d, gatewayId, limit);
  }

  async listAudit(scope: Scope, f: AuditFilter, page: PageRequest): Promise<Page<AuditRow>> {
    const where: [string, SqlValue][] = scopeEq(scope);
    if (f.deviceId !== undefined) where.push(['device_id = ?', f.deviceId]);
    if (f.actorId !== undefined) where.push(['actor_id = ?', f.actorId]);
    if (f.action !== undefined) where.push(['action = ?', f.action]);
    const rows = await this.newestFirst('audit', where, f, page);
    return paged(rows.map(auditRow), page.limit, (a) => [a.ts, a.id]);
  }

  async listCommandResults(scope: Scope, deviceId: string, page: PageRequest): Promise<Page<CommandResultRow>> {
    const [where, scopeParams] = scoped(scope);
    const params: SqlValue[] = [deviceId, ...scopeParams];
    let cursor = '';
    const [ts, id] = page.after ?? [];
    if (ts !== undefined && id !== undefined) {
      cursor = ' AND (issued_ts < ? OR (issued_ts = ? AND id < ?))';
      params.push(Number(ts), Number(ts), String(id));
    }
    const rows = await this.d.query(
      `SELECT * FROM command_results WHERE device_id = ? AND ${where}${cursor} ORDER BY issued_ts DESC, id DESC LIMIT ${page.limit + 1}`,
      params,
    );
    return paged(rows.map(commandResultRow), page.limit, (c) => [c.issuedTs, c.id]);
  }

  async latestCook(scope: Scope, deviceId: string): Promise<CookRow | null> {
    const [where, params] = scoped(scope);
    // By stamp (when the cook was started, changed or stopped), then version, then how far along its lifecycle it is.
    const rows = await this.d.query(
      `SELECT * FROM cooks WHERE device_id = ? AND ${where} ORDER BY updated_ts DESC, version DESC,
        CASE state WHEN 'heating' THEN 0 WHEN 'holding' THEN 1 ELSE 2 END DESC, id DESC LIMIT 1`,
      [deviceId, ...params],
    );
    return rows[0] ? cookRow(rows[0]) : null;
  }

  async cooksStarted(scope: Scope, fromMs: number, toMs: number, limit: number): Promise<CookRow[]> {
    const [where, params] = scoped(scope);
    const rows = await this.d.query(
      `SELECT * FROM cooks WHERE ${where} AND started_ts >= ? AND started_ts < ? ORDER BY started_ts DESC, id DESC LIMIT ${Math.trunc(limit)}`,
      [...params, fromMs, toMs],
    );
    return rows.map(cookRow);
  }

  async cookRecords(scope: Scope, cookId: string): Promise<CookRow[]> {
    // "!" as the LIKE escape: the same in MySQL and SQLite (a backslash is not).
    const prefix = `${cookId.replace(/[!%_]/g, (c) => `!${c}`)}-v%`;
    const [where, params] = scoped(scope);
    const rows = await this.d.query(`SELECT * FROM cooks WHERE ${where} AND id LIKE ? ESCAPE '!' ORDER BY updated_ts, version`, [
      ...params,
      prefix,
    ]);
    return rows.map(cookRow);
  }

  async cookChanges(scope: Scope, deviceId: string, fromMs: number, toMs: number): Promise<CookRow[]> {
    const [where, params] = scoped(scope);
    const order = "CASE state WHEN 'heating' THEN 0 WHEN 'holding' THEN 1 WHEN 'done' THEN 2 ELSE 3 END";
    const [before, inRange] = await Promise.all([
      this.d.query(
        `SELECT * FROM cooks WHERE ${where} AND device_id = ? AND updated_ts < ? ORDER BY updated_ts DESC, version DESC, ${order} DESC LIMIT 1`,
        [...params, deviceId, fromMs],
      ),
      this.d.query(
        `SELECT * FROM cooks WHERE ${where} AND device_id = ? AND updated_ts >= ? AND updated_ts < ?
          ORDER BY updated_ts, version, ${order} LIMIT ${MAX_COOK_CHANGES}`,
        [...params, deviceId, fromMs, toMs],
      ),
    ]);
    return [...before, ...inRange].map(cookRow);
  }

  async nextCookStart(scope: Scope, deviceId: string, afterTs: number): Promise<number | null> {
    const [where, params] = scoped(scope);
    const rows = await this.d.query(`SELECT MIN(started_ts) AS next FROM cooks WHERE ${where} AND device_id = ? AND started_ts > ?`, [
      ...params,
      deviceId,
      afterTs,
    ]);
    const next = rows[0]?.next;
    return next === null || next === undefined ? null : Number(next);
  }

  async listDeadLetters(scope: Scope, page: PageRequest): Promise<Page<DeadLetterRow>> {
    const [where, params] = scoped(scope, 'gateway_id');
    let cursor = '';
    const [ms, gw, batch, idx] = page.after ?? [];
    if (ms !== undefined && gw !== undefined && batch !== undefined && idx !== undefined) {
      cursor = ' AND (received_ms, gateway_id, batch_id, idx) < (?, ?, ?, ?)';
      params.push(Number(ms), String(gw), String(batch), Number(idx));
    }
    const rows = await this.d.query(
      `SELECT * FROM dead_letters WHERE ${where}${cursor} ORDER BY received_ms DESC, gateway_id DESC, batch_id DESC, idx DESC LIMIT ${page.limit + 1}`,
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

  async countLive(orgId: string, kind: OrgObjectKind): Promise<number> {
    const rows = await this.d.query<{ c: number }>(LIVE_COUNT[kind], [orgId]);
    return Number(rows[0]?.c ?? 0);
  }

  withOrgLock<T>(orgId: string, fn: (meta: MetaStore) => Promise<T>): Promise<T> {
    return this.d.tx(async (d) => {
      await lockOrg(d, orgId);
      return fn(new SqlMetaStore(d, undefined, this.notifyKeys, this.notify.ingestRules));
    });
  }

  async setDesiredCook(
    scope: Scope,
    deviceId: string,
    spec: CookSpec | null,
    cookId: string,
    nowMs: number,
    audit: AuditRow,
  ): Promise<DesiredCook | null> {
    return this.d.tx(async (d) => {
      const lock = d.dialect === 'mysql' ? ' FOR UPDATE' : '';
      const [where, params] = scoped(scope);
      const dev = (
        await d.query<{ gateway_id: string }>(`SELECT gateway_id FROM devices WHERE id = ? AND ${where}${lock}`, [deviceId, ...params])
      )[0];
      if (!dev) return null;
      const gw = dev.gateway_id;
      await d.run('UPDATE gateways SET desired_version = desired_version + 1 WHERE id = ?', [gw]);
      const version = Number((await d.query<{ v: number }>('SELECT desired_version AS v FROM gateways WHERE id = ?', [gw]))[0]?.v ?? 0);
      const current = (await d.query(`SELECT * FROM desired_cooks WHERE org_id = ? AND device_id = ?${lock}`, [scope.orgId, deviceId]))[0];
      // Stopping keeps the id of the cook being stopped, so the gateway knows which one ends.
      const id = spec === null && current ? String(current.cook_id) : cookId;
      // The stamp of a change comes after the cook it replaces (which may carry the gateway's clock): docs/sync.md.
      const updatedTs = Math.max(nowMs, current ? Number(current.updated_ts) + 1 : 0);
      await d.run(
        `INSERT INTO desired_cooks (device_id, gateway_id, org_id, cook_id, version, spec, updated_ts) VALUES (?, ?, ?, ?, ?, ?, ?) ${UPSERT.desired[d.dialect]}`,
        [deviceId, gw, scope.orgId, id, version, spec === null ? null : JSON.stringify(spec), updatedTs],
      );
      await insertIgnore(d, 'audit', AUDIT_COLS, [auditValues({ ...audit, data: { ...audit.data, cookId: id, version } })]);
      return { deviceId, gatewayId: gw, cookId: id, version, spec, updatedTs };
    });
  }

  async getDesiredCook(scope: Scope, deviceId: string): Promise<DesiredCook | null> {
    const [where, params] = scoped(scope);
    const rows = await this.d.query(`SELECT * FROM desired_cooks WHERE device_id = ? AND ${where}`, [deviceId, ...params]);
    return rows[0] ? desiredRow(rows[0]) : null;
  }

  async desiredFor(gatewayId: string, sinceVersion: number): Promise<{ version: number; devices: DesiredDeviceState[] } | null> {
    const gw = (
      await this.d.query<{ v: number; org_id: string }>('SELECT desired_version AS v, org_id FROM gateways WHERE id = ?', [gatewayId])
    )[0];
    const version = Number(gw?.v ?? 0);
    if (!gw || version <= sinceVersion) return null;
    // A gateway is in one org: its desired cooks are its org's devices that it owns.
    const rows = (
      await this.d.query('SELECT * FROM desired_cooks WHERE org_id = ? AND gateway_id = ? ORDER BY device_id', [gw.org_id, gatewayId])
    ).map(desiredRow);
    return {
      version,
      devices: rows.map((r) => ({
        deviceId: r.deviceId,
        cook: r.spec === null ? null : { id: r.cookId, version: r.version, spec: r.spec, updatedTs: r.updatedTs },
      })),
    };
  }

  async addApiKey(k: {
    id: string;
    keyHash: string;
    role: Role;
    owner: string;
    orgId: string;
    gatewayId: string | null;
    createdBy?: string | null;
    nowMs: number;
  }): Promise<void> {
    await this.d.run(
      'INSERT INTO api_keys (id, key_hash, role, owner, org_id, gateway_id, created_by, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [k.id, k.keyHash, k.role, k.owner, k.orgId, k.gatewayId, k.createdBy ?? null, k.nowMs],
    );
  }

  async apiKeyLive(orgId: string, id: string): Promise<boolean> {
    const rows = await this.d.query('SELECT id FROM api_keys WHERE org_id = ? AND id = ? AND revoked_ms IS NULL', [orgId, id]);
    return rows.length > 0;
  }

  async apiKeyByHash(keyHash: string): Promise<ApiKeyRow | null> {
    const rows = await this.d.query('SELECT * FROM api_keys WHERE key_hash = ? AND revoked_ms IS NULL', [keyHash]);
    return rows[0] ? apiKeyRow(rows[0]) : null;
  }

  async listApiKeys(scope: Scope, page: PageRequest): Promise<Page<ApiKeyRow>> {
    const rows = await this.byId('api_keys', page, [scoped(scope)]);
    return paged(rows.map(apiKeyRow), page.limit, (k) => [k.id]);
  }

  async revokeApiKey(scope: Scope, id: string, nowMs: number): Promise<boolean> {
    const [where, params] = scoped(scope);
    const r = await this.d.run(`UPDATE api_keys SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL AND ${where}`, [
      nowMs,
      id,
      ...params,
    ]);
    return r.affected > 0;
  }

  listPresets(scope: Scope, page: PageRequest): Promise<Page<Preset>> {
    return presets.listPresets(this.d, scope, page);
  }
  getPreset(scope: Scope, name: string): Promise<Preset | null> {
    return presets.getPreset(this.d, scope, name);
  }
  putPreset(scope: Scope, name: string, spec: PresetSpec, nowMs: number): Promise<Preset> {
    return presets.putPreset(this.d, scope, name, spec, nowMs);
  }
  deletePreset(scope: Scope, name: string): Promise<boolean> {
    return presets.deletePreset(this.d, scope, name);
  }

  private byId(table: string, page: PageRequest, filters: [string, SqlValue[]][]) {
    const where: string[] = [];
    const params: SqlValue[] = [];
    for (const [clause, values] of filters) {
      where.push(clause);
      params.push(...values);
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
    /** The time column the page is sorted and ranged on. */
    tsCol = 'ts',
  ) {
    const where = eq.map(([c]) => c);
    const params: SqlValue[] = eq.map(([, v]) => v);
    if (inList) {
      where.push(inList[0]);
      params.push(...inList[1]);
    }
    if (range.fromMs !== undefined) {
      where.push(`${tsCol} >= ?`);
      params.push(range.fromMs);
    }
    if (range.toMs !== undefined) {
      where.push(`${tsCol} < ?`);
      params.push(range.toMs);
    }
    const [ts, id] = page.after ?? [];
    if (ts !== undefined && id !== undefined) {
      where.push(`(${tsCol} < ? OR (${tsCol} = ? AND id < ?))`);
      params.push(Number(ts), Number(ts), String(id));
    }
    const clause = where.length ? ` WHERE ${where.join(' AND ')}` : '';
    return this.d.query(`SELECT * FROM ${table}${clause} ORDER BY ${tsCol} DESC, id DESC LIMIT ${page.limit + 1}`, params);
  }
}

/**
 * The WHERE fragment every scoped query carries: the org, and for a key limited to one gateway,
 * that gateway (`gatewayCol`: the column naming it; `id` in the gateways table).
 */
/** Cook records per history request (a cook changes a few times; a range never holds this many). */
const MAX_COOK_CHANGES = 1000;

function scoped(scope: Scope, gatewayCol = 'gateway_id'): [string, SqlValue[]] {
  if (scope.gatewayId) return [`org_id = ? AND ${gatewayCol} = ?`, [scope.orgId, scope.gatewayId]];
  return ['org_id = ?', [scope.orgId]];
}
function scopeEq(scope: Scope): [string, SqlValue][] {
  const eq: [string, SqlValue][] = [['org_id = ?', scope.orgId]];
  if (scope.gatewayId) eq.push(['gateway_id = ?', scope.gatewayId]);
  return eq;
}

const AUDIT_COLS = ['id', 'gateway_id', 'org_id', 'ts', 'actor_type', 'actor_id', 'device_id', 'action', 'reason', 'data'];
function auditValues(a: AuditRow): SqlValue[] {
  return [a.id, a.gatewayId, a.orgId, a.ts, a.actor.type, a.actor.id ?? null, a.deviceId, a.action, a.reason, JSON.stringify(a.data)];
}

function nullableNumber(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}
