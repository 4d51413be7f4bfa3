import type {
  ApiKeyRow,
  AuditRow,
  CommandResultRow,
  CookRow,
  DesiredCook,
  DeviceRow,
  EventRow,
  GatewayRow,
  OrgRow,
  Page,
  Role,
} from '../types.js';

/** Row → API object mappers, shared by the MySQL and SQLite meta stores (same column names). */
type Row = Record<string, unknown>;
const n = (v: unknown): number => Number(v);
const nn = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const json = (v: unknown): unknown => (v === null || v === undefined ? null : JSON.parse(String(v)));

export function orgRow(r: Row): OrgRow {
  return { id: String(r.id), name: String(r.name), createdMs: n(r.created_ms) };
}

export function gatewayRow(r: Row): GatewayRow {
  return {
    id: String(r.id),
    orgId: String(r.org_id),
    name: String(r.name),
    createdMs: n(r.created_ms),
    revokedMs: nn(r.revoked_ms),
    lastSeenMs: nn(r.last_seen_ms),
    backlog: json(r.backlog) as GatewayRow['backlog'],
    maxTargetC: nn(r.max_target_c),
    previousTokenUntilMs: nn(r.prev_token_until_ms),
  };
}

export function deviceRow(r: Row): DeviceRow {
  return {
    id: String(r.id),
    orgId: String(r.org_id),
    gatewayId: String(r.gateway_id),
    revokedMs: nn(r.revoked_ms),
    firstSeenMs: n(r.first_seen_ms),
    lastSeenMs: n(r.last_seen_ms),
  };
}

export function eventRow(r: Row): EventRow {
  return {
    id: String(r.id),
    gatewayId: String(r.gateway_id),
    deviceId: r.device_id === null ? null : String(r.device_id),
    type: String(r.type),
    severity: String(r.severity) as EventRow['severity'],
    ts: n(r.ts),
    safety: n(r.safety) === 1,
    data: json(r.data) as Record<string, unknown>,
  };
}

export function auditRow(r: Row): AuditRow {
  const actor: AuditRow['actor'] = { type: String(r.actor_type) as AuditRow['actor']['type'] };
  if (r.actor_id !== null) actor.id = String(r.actor_id);
  return {
    id: String(r.id),
    orgId: String(r.org_id),
    gatewayId: r.gateway_id === null ? null : String(r.gateway_id),
    ts: n(r.ts),
    actor,
    deviceId: r.device_id === null ? null : String(r.device_id),
    action: String(r.action),
    reason: String(r.reason),
    data: json(r.data) as Record<string, unknown>,
  };
}

export function apiKeyRow(r: Row): ApiKeyRow {
  return {
    id: String(r.id),
    orgId: String(r.org_id),
    gatewayId: r.gateway_id === null || r.gateway_id === undefined ? null : String(r.gateway_id),
    role: String(r.role) as Role,
    owner: String(r.owner),
    createdBy: r.created_by === null || r.created_by === undefined ? null : String(r.created_by),
    createdMs: n(r.created_ms),
    revokedMs: nn(r.revoked_ms),
  };
}

export function desiredRow(r: Row): DesiredCook {
  return {
    deviceId: String(r.device_id),
    gatewayId: String(r.gateway_id),
    cookId: String(r.cook_id),
    version: n(r.version),
    spec: json(r.spec) as DesiredCook['spec'],
    updatedTs: n(r.updated_ts),
  };
}

export function commandResultRow(r: Row): CommandResultRow {
  const out: CommandResultRow = {
    id: String(r.id),
    gatewayId: String(r.gateway_id),
    deviceId: String(r.device_id),
    op: String(r.op) as CommandResultRow['op'],
    issuedTs: n(r.issued_ts),
    ackTs: nn(r.ack_ts),
    outcome: String(r.outcome) as CommandResultRow['outcome'],
    attempts: n(r.attempts),
  };
  if (r.expect !== null) out.expect = String(r.expect) as NonNullable<CommandResultRow['expect']>;
  if (r.heater !== null) out.heater = n(r.heater) === 1;
  if (r.err !== null) out.err = String(r.err);
  return out;
}

export function cookRow(r: Row): CookRow {
  return {
    id: String(r.id),
    gatewayId: String(r.gateway_id),
    deviceId: String(r.device_id),
    version: n(r.version),
    state: String(r.state) as CookRow['state'],
    spec: json(r.spec) as CookRow['spec'],
    startedTs: n(r.started_ts),
    updatedTs: n(r.updated_ts),
  };
}

/** Queries fetch limit + 1 rows: the extra one only says whether a next page exists. */
export function paged<T>(rows: T[], limit: number, key: (row: T) => (string | number)[]): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, next: rows.length > limit && last !== undefined ? key(last) : null };
}
