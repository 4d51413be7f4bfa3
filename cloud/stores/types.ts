import type { z } from 'zod';
import type { CookSpec } from '../../shared/cook.js';
import type {
  AuditRecord,
  Backlog,
  CommandResultRecord,
  CookRecord,
  DesiredDevice,
  EventRecord,
  StatusRecord,
  TelemetryRecord,
} from '../../shared/relay/batch.js';

/**
 * The three store roles of the cloud. Production: InfluxDB (telemetry), Redis (state), MySQL (meta).
 * Embedded: one SQLite file implementing all three. Both run cloud/stores/contract.ts (docs/design.md:
 * one contract test suite for anything swappable).
 */
export type Telemetry = z.infer<typeof TelemetryRecord>;
export type Status = z.infer<typeof StatusRecord>;
export type Event = z.infer<typeof EventRecord>;
export type Audit = z.infer<typeof AuditRecord>;
export type CommandResult = z.infer<typeof CommandResultRecord>;
export type Cook = z.infer<typeof CookRecord>;
export type BacklogReport = z.infer<typeof Backlog>;
export type DesiredDeviceState = z.infer<typeof DesiredDevice>;
export type Role = 'viewer' | 'operator' | 'admin';
export const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];

export interface Lifecycle {
  /** Which engine serves this role: influx, redis, mysql or sqlite. */
  readonly backend: string;
  open(): Promise<void>;
  close(): Promise<void>;
  /** Round trip to the engine; throws when it is unreachable. */
  ping(): Promise<void>;
}

export interface Bucket {
  ts: number;
  mean: number | null;
  min: number | null;
  max: number | null;
  count: number;
}

/** One stored telemetry point as read back (tests assert on these). */
export interface StoredPoint {
  ts: number;
  gatewayId: string;
  deviceId: string;
  boot: number;
  seq: number;
  temperature: number | null;
  heater: boolean;
  sensor: string;
  rssi: number | null;
}

export interface HistoryQuery {
  deviceId: string;
  fromMs: number;
  toMs: number;
  everyMs: number;
}

export interface TelemetryStore extends Lifecycle {
  /** Idempotent: a replayed record lands on the same point (same series, same time). */
  write(gatewayId: string, records: readonly Telemetry[]): Promise<void>;
  /** Buckets of `everyMs` in [fromMs, toMs): mean/min/max of the temperature. */
  history(q: HistoryQuery): Promise<Bucket[]>;
  /** Raw points of one device in [fromMs, toMs). */
  points(deviceId: string, fromMs: number, toMs: number): Promise<StoredPoint[]>;
}

export interface DeviceState {
  deviceId: string;
  gatewayId: string | null;
  boot: number | null;
  seq: number | null;
  /** Device time of the latest telemetry (null: no synced clock). */
  ts: number | null;
  rxTs: number | null;
  tempC: number | null;
  sensor: string | null;
  heater: boolean | null;
  rssi: number | null;
  status: 'online' | 'offline' | null;
  statusTs: number | null;
  fw: string | null;
  lastSeenMs: number | null;
  online: boolean;
}

export interface StateStore extends Lifecycle {
  /**
   * Latest state per device (a record older in (boot, seq) never overwrites a newer one; status by
   * (boot, rxTs)), device heartbeats into the online set, and the gateway's heartbeat (TTL).
   */
  apply(gatewayId: string, telemetry: readonly Telemetry[], status: readonly Status[], nowMs: number): Promise<void>;
  latest(deviceIds: readonly string[], nowMs: number): Promise<Map<string, DeviceState>>;
  onlineDevices(nowMs: number): Promise<string[]>;
  gatewayAlive(gatewayId: string): Promise<boolean>;
}

export interface PageRequest {
  limit: number;
  /** Decoded cursor: the sort key of the last item of the previous page. */
  after?: readonly (string | number)[];
}
export interface Page<T> {
  items: T[];
  /** Sort key of the last item when more may follow. */
  next: (string | number)[] | null;
}

export interface GatewayRow {
  id: string;
  name: string;
  createdMs: number;
  revokedMs: number | null;
  lastSeenMs: number | null;
  backlog: BacklogReport | null;
}
export interface DeviceRow {
  id: string;
  gatewayId: string;
  firstSeenMs: number;
  lastSeenMs: number;
}
export interface EventRow extends Omit<Event, 'kind'> {
  gatewayId: string;
}
export interface AuditRow extends Omit<Audit, 'kind'> {
  /** null for audit written by the cloud itself. */
  gatewayId: string | null;
}
export interface CommandResultRow extends Omit<CommandResult, 'kind'> {
  gatewayId: string;
}
export interface CookRow extends Omit<Cook, 'kind'> {
  gatewayId: string;
}
export interface DeadLetterRow {
  gatewayId: string;
  batchId: string;
  index: number;
  reasons: string[];
  payload: string;
  receivedMs: number;
}
export interface ApiKeyRow {
  id: string;
  role: Role;
  owner: string;
  createdMs: number;
  revokedMs: number | null;
}
export interface DesiredCook {
  deviceId: string;
  gatewayId: string;
  cookId: string;
  version: number;
  spec: CookSpec | null;
  updatedTs: number;
}

export interface MetaBatch {
  batchId: string;
  backlog: BacklogReport;
  /** Every device the batch mentions, with the newest gateway receive time seen for it. */
  devices: ReadonlyMap<string, number>;
  events: readonly Event[];
  audit: readonly Audit[];
  commandResults: readonly CommandResult[];
  cooks: readonly Cook[];
  /** Invalid records of this batch (kept, never retried by the gateway). */
  deadLetters?: readonly DeadLetter[];
}

export interface DeadLetter {
  index: number;
  reasons: readonly string[];
  /** The record as received, JSON (truncated to 4 KiB). */
  payload: string;
}

export interface EventFilter {
  deviceId?: string;
  gatewayId?: string;
  type?: string;
  severities?: readonly string[];
  fromMs?: number;
  toMs?: number;
}
export interface AuditFilter {
  deviceId?: string;
  actorId?: string;
  action?: string;
  fromMs?: number;
  toMs?: number;
}

export interface MetaStore extends Lifecycle {
  /** Applies pending schema migrations; returns the versions it applied and the current one. */
  migrate(): Promise<{ applied: number[]; current: number }>;
  addGateway(g: { id: string; name: string; tokenHash: string; nowMs: number }): Promise<void>;
  gatewayByTokenHash(tokenHash: string): Promise<GatewayRow | null>;
  revokeGateway(id: string, nowMs: number): Promise<boolean>;
  listGateways(page: PageRequest): Promise<Page<GatewayRow>>;
  /** One transaction; replays are no-ops. Returns how many records were new. */
  ingest(gatewayId: string, batch: MetaBatch, nowMs: number): Promise<{ inserted: number; duplicates: number }>;
  listDevices(page: PageRequest, gatewayId?: string): Promise<Page<DeviceRow>>;
  getDevice(id: string): Promise<DeviceRow | null>;
  /** Newest first. */
  listEvents(filter: EventFilter, page: PageRequest): Promise<Page<EventRow>>;
  /** Newest first. */
  listAudit(filter: AuditFilter, page: PageRequest): Promise<Page<AuditRow>>;
  /** Command results of one device, newest issued first. */
  listCommandResults(deviceId: string, page: PageRequest): Promise<Page<CommandResultRow>>;
  /** The cook a gateway last reported for a device (highest version, then newest update). */
  latestCook(deviceId: string): Promise<CookRow | null>;
  /** Cook records (every version and lifecycle step) of cooks started in [fromMs, toMs), newest start first. */
  cooksStarted(fromMs: number, toMs: number, limit: number): Promise<CookRow[]>;
  /** Every cook record whose id starts with `<cookId>-v` (the caller checks the cook id). */
  cookRecords(cookId: string): Promise<CookRow[]>;
  /** The first cook started on a device after `afterTs` (it ends the one before), or null. */
  nextCookStart(deviceId: string, afterTs: number): Promise<number | null>;
  /** Dead-lettered records, newest first. */
  listDeadLetters(page: PageRequest): Promise<Page<DeadLetterRow>>;
  /** Audit written by the cloud itself (control calls). */
  addAudit(row: AuditRow): Promise<void>;
  countRows(table: 'events' | 'audit' | 'command_results' | 'cooks' | 'devices' | 'dead_letters'): Promise<number>;
  /**
   * Sets (spec) or clears (null) the desired cook of a known device, bumping its gateway's desired
   * version, and writes the audit row, in one transaction. Null when the device is unknown.
   */
  setDesiredCook(deviceId: string, spec: CookSpec | null, cookId: string, nowMs: number, audit: AuditRow): Promise<DesiredCook | null>;
  getDesiredCook(deviceId: string): Promise<DesiredCook | null>;
  /** The gateway's desired state when its version is newer than `sinceVersion`, else null. */
  desiredFor(gatewayId: string, sinceVersion: number): Promise<{ version: number; devices: DesiredDeviceState[] } | null>;
  addApiKey(k: { id: string; keyHash: string; role: Role; owner: string; nowMs: number }): Promise<void>;
  apiKeyByHash(keyHash: string): Promise<ApiKeyRow | null>;
  listApiKeys(page: PageRequest): Promise<Page<ApiKeyRow>>;
  revokeApiKey(id: string, nowMs: number): Promise<boolean>;
}

export interface Stores {
  telemetry: TelemetryStore;
  state: StateStore;
  meta: MetaStore;
}
