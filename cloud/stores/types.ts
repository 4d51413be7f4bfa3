import type { z } from 'zod';
import type { Ack, Alarm, AlarmState } from '../../shared/alarms/lifecycle.js';
import type { OrgUser, Role } from '../../shared/api/users.js';
import type { CookSpec } from '../../shared/cook.js';
import type { HistoryBucket } from '../../shared/history/buckets.js';
import type { AttemptResult } from '../../shared/notify/backoff.js';
import type { Notification } from '../../shared/notify/message.js';
import type { Preset, PresetSpec } from '../../shared/presets.js';
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
import type { ChannelRow, ChannelSpec } from '../notify/channel-spec.js';

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
export { ROLES, type Role } from '../../shared/api/users.js';
/** viewer < operator < admin. */
export const ROLE_RANK: Readonly<Record<Role, number>> = { viewer: 1, operator: 2, admin: 3 };

export interface Lifecycle {
  /** Which engine serves this role: influx, redis, mysql or sqlite. */
  readonly backend: string;
  open(): Promise<void>;
  close(): Promise<void>;
  /** Round trip to the engine; throws when it is unreachable. */
  ping(): Promise<void>;
}

/** A history bucket as the telemetry store computes it; the route adds the cook's target (shared/history/buckets.ts). */
export type Bucket = Omit<HistoryBucket, 'targetC'>;

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

/**
 * One device's telemetry as its org sees it: the points written through any of the org's gateways.
 * Device ids are per org (two orgs may both have a `kit-1`), and a gateway never changes org, so
 * the org's gateways tell its kit's points from another org's kit of the same name.
 */
export interface Series {
  deviceId: string;
  /** Every gateway of the org, revoked ones too (a kit may have reported through any of them). */
  gatewayIds: readonly string[];
}

export interface HistoryQuery extends Series {
  fromMs: number;
  toMs: number;
  everyMs: number;
}

/**
 * Points the telemetry store refused while it kept the rest of the write (InfluxDB's `400 partial
 * write`): how many, why (a metric label), Influx's own words, and the records it most likely
 * dropped when that can be told (points older than the retention policy).
 */
export interface TelemetryDrops {
  dropped: number;
  reason: TelemetryDropReason;
  message: string;
  records: readonly Pick<Telemetry, 'deviceId' | 'boot' | 'seq'>[];
}
export type TelemetryDropReason = 'retention' | 'field_type';

export interface TelemetryStore extends Lifecycle {
  /**
   * Idempotent: a replayed record lands on the same point (same series, same time). Resolves with
   * the points the store refused when it kept the others (committed, not a failure: retrying would
   * be refused the same way, docs/adr/082-ingest-keeps-what-it-can.md); rejects when nothing can be
   * said to be written (5xx, timeout, connection, credentials).
   */
  write(gatewayId: string, records: readonly Telemetry[]): Promise<TelemetryDrops | undefined>;
  /** Buckets of `everyMs` in [fromMs, toMs): mean/min/max of the temperature, the heater's on-share. */
  history(q: HistoryQuery): Promise<Bucket[]>;
  /** Raw points of one device in [fromMs, toMs), oldest first; the first `limit` of them when given. */
  points(series: Series, fromMs: number, toMs: number, limit?: number): Promise<StoredPoint[]>;
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
   * (boot, rxTs)), device heartbeats into the online set, and the gateway's heartbeat (TTL). Keyed by
   * (org, device): `orgId` is the gateway's org.
   *
   * `epochs`: devices provisioned again under their id (a replacement unit, whose boot counter
   * starts over), with the stamp of that provisioning. The epoch is ordered before (boot, seq): a
   * device whose stored epoch is older loses its latest state first, and records received before
   * the device's stored epoch (the old unit's, arriving late) never change its state
   * (docs/adr/082-ingest-keeps-what-it-can.md). Idempotent: the same epoch again changes nothing.
   */
  apply(
    gatewayId: string,
    orgId: string,
    telemetry: readonly Telemetry[],
    status: readonly Status[],
    nowMs: number,
    epochs?: ReadonlyMap<string, number>,
  ): Promise<void>;
  latest(orgId: string, deviceIds: readonly string[], nowMs: number): Promise<Map<string, DeviceState>>;
  onlineDevices(orgId: string, nowMs: number): Promise<string[]>;
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

/** Which org a caller acts in; a key limited to one gateway sees only that gateway's devices and records. */
export interface Scope {
  orgId: string;
  gatewayId?: string | null;
}

/** The org that holds every single-tenant row after the tenancy migration (docs/adr/027-tenancy.md). */
export const DEFAULT_ORG = 'default';
/** The default org's scope (the demo, tools and tests of a single-tenant install). */
export const DEFAULT_SCOPE: Scope = { orgId: DEFAULT_ORG };

export interface OrgRow {
  id: string;
  name: string;
  createdMs: number;
}

export interface GatewayRow {
  id: string;
  orgId: string;
  name: string;
  createdMs: number;
  revokedMs: number | null;
  lastSeenMs: number | null;
  backlog: BacklogReport | null;
  /** The highest cook target the gateway accepts, as it last reported it (null: never reported). */
  maxTargetC: number | null;
  /** After a token rotation with a grace: until when the previous token is still accepted (null: no grace given). */
  previousTokenUntilMs: number | null;
}
export interface DeviceRow {
  id: string;
  orgId: string;
  /** The owning gateway: the one that registered (or first reported) the device, or where an org admin moved it. */
  gatewayId: string;
  /**
   * Set when the owning gateway reported the device revoked (the registry record's stamp, on the
   * gateway's clock; before ADR 082 the cloud's receive time); its records stamped later are
   * refused until it is added again.
   */
  revokedMs: number | null;
  firstSeenMs: number;
  lastSeenMs: number;
}
export interface EventRow extends Omit<Event, 'kind'> {
  gatewayId: string;
}
export interface AuditRow extends Omit<Audit, 'kind'> {
  orgId: string;
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
  orgId: string;
  /** A key limited to one gateway (null: the whole org). */
  gatewayId: string | null;
  role: Role;
  owner: string;
  /** The user who made it, directly or through a key the user made (null: the CLI, or before this was kept). */
  createdBy: string | null;
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

/** A device registry report of a gateway (the `registry` relay record). */
export interface RegistryReport {
  added: readonly string[];
  revoked: readonly string[];
  /** When the gateway made the report (the record's `ts`, its clock); absent: the cloud's receive time. */
  ts?: number;
}

/** What resolveDevices decided for the devices of one batch. */
export interface DeviceResolution {
  /** Devices whose records the gateway may not write, with why. */
  refused: Map<string, ForeignReason>;
  /**
   * For a refused device this gateway owned until it revoked it or an org admin moved it away: the
   * time (revocation: the registry record's stamp; move: the cloud's) up to which its records are
   * still taken (stamped at or before it), and its alarm and audit records are taken whenever
   * stamped (docs/adr/082-ingest-keeps-what-it-can.md). A refused device absent here is refused whole.
   */
  since: Map<string, number>;
  /**
   * Devices of this gateway provisioned again under their id (added after a revocation), named in
   * the batch's registry reports: the stamp of that add, the latest state's provisioning epoch
   * (StateStore.apply).
   */
  epochs: Map<string, number>;
}

/** Why records of a device were refused: owned by another gateway, or revoked by its own. */
export type ForeignReason = 'foreign' | 'revoked';

export interface MetaBatch {
  batchId: string;
  backlog: BacklogReport;
  /** Every device the batch mentions, with the newest gateway receive time seen for it. */
  devices: ReadonlyMap<string, number>;
  events: readonly Event[];
  audit: readonly Audit[];
  commandResults: readonly CommandResult[];
  cooks: readonly Cook[];
  /**
   * Devices of these cooks that the gateway no longer owns (moved away; their records from before
   * the move are history, ADR 082): their cooks are stored but never adopted as a desired cook.
   */
  notAdopted?: ReadonlySet<string>;
  /** Invalid records of this batch (kept, never retried by the gateway). */
  deadLetters?: readonly DeadLetter[];
  /** Audit the cloud writes about this batch (refused foreign devices); replays are no-ops, not counted as records. */
  cloudAudit?: readonly AuditRow[];
  /** The gateway's alarms, each in its whole state (merged into the cloud's copy). */
  alarms?: readonly Alarm[];
  /** The highest cook target the gateway accepts, when its batch said (X-Sousvide-Max-Target-C). */
  maxTargetC?: number;
  /**
   * When the gateway sent the batch, on the gateway's clock (X-Sousvide-Sent-At, else the body's
   * `sentAt`): the relayed events' age is measured on that clock (ADR 080). Unset: the cloud's now.
   */
  sentAt?: number;
}

export interface MetaIngestResult {
  inserted: number;
  duplicates: number;
  alarms: Alarm[];
}

/** An alarm as the cloud keeps it: the gateway's alarm, the gateway it came from, its state. */
export interface AlarmRow extends Alarm {
  gatewayId: string;
  state: AlarmState;
}
export interface AlarmFilter {
  deviceId?: string;
  gatewayId?: string;
  type?: string;
  state?: AlarmState;
  /** Raised in [fromMs, toMs). */
  fromMs?: number;
  toMs?: number;
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

/** What an org admin creates through the API, each kind capped per org (the `org` config section). */
export type OrgObjectKind = 'gateways' | 'apiKeys' | 'users' | 'channels' | 'presets';

export interface MetaStore extends Lifecycle {
  readonly users: UserStore;
  /** Notification channels and the durable delivery queue of each org (cloud/notify/). */
  readonly notify: NotifyStore;
  /** Applies pending schema migrations; returns the versions it applied and the current one. */
  migrate(): Promise<{ applied: number[]; current: number }>;
  addOrg(o: { id: string; name: string; nowMs: number }): Promise<void>;
  /** By id or by name. */
  findOrg(idOrName: string): Promise<OrgRow | null>;
  listOrgs(page: PageRequest): Promise<Page<OrgRow>>;
  /** The org a gateway or API key belongs to (service-level tools only: the CLI), or null. */
  orgOf(table: 'gateways' | 'api_keys', id: string): Promise<string | null>;
  /** The orgs that have a device of this id, sorted (service-level tools only: device ids are per org). */
  orgsOfDevice(id: string): Promise<string[]>;
  /** Every gateway of the org, revoked ones too, sorted: the gateways its kits' telemetry may carry (Series). */
  gatewayIdsOf(orgId: string): Promise<string[]>;
  addGateway(g: { id: string; name: string; orgId: string; tokenHash: string; nowMs: number }): Promise<void>;
  gatewayByTokenHash(tokenHash: string): Promise<GatewayRow | null>;
  /** The gateway whose previous token (rotated away) this is, while its grace lasts (`nowMs` before its end). */
  gatewayByPreviousTokenHash(tokenHash: string, nowMs: number): Promise<GatewayRow | null>;
  /**
   * Gives a live gateway of the scope a new token (its hash): the old one is accepted until
   * `previousUntilMs` (not at all when that is not after `nowMs`); a predecessor still in its grace
   * is dropped. False when the gateway is not in the scope or is revoked.
   */
  rotateGatewayToken(scope: Scope, id: string, tokenHash: string, nowMs: number, previousUntilMs: number): Promise<boolean>;
  getGateway(scope: Scope, id: string): Promise<GatewayRow | null>;
  revokeGateway(scope: Scope, id: string, nowMs: number): Promise<boolean>;
  listGateways(scope: Scope, page: PageRequest): Promise<Page<GatewayRow>>;
  /**
   * Device ownership, before any sink writes a record: applies the gateway's registry reports
   * (added: bound to it unless another gateway of its org owns the device; revoked: marked), claims
   * devices its org does not have yet for it, and returns the devices whose records it must not
   * write, with why. Device ids are per org: another org's device of the same id is another device.
   */
  resolveDevices(
    gatewayId: string,
    orgId: string,
    registry: readonly RegistryReport[],
    deviceIds: readonly string[],
    nowMs: number,
  ): Promise<DeviceResolution>;
  /**
   * One transaction; replays are no-ops. Returns how many records were new, and the alarms the
   * batch changed as they are now here (merged; for the live stream). Never changes a device's owner.
   */
  ingest(gatewayId: string, orgId: string, batch: MetaBatch, nowMs: number): Promise<MetaIngestResult>;
  listDevices(scope: Scope, page: PageRequest, gatewayId?: string): Promise<Page<DeviceRow>>;
  getDevice(scope: Scope, id: string): Promise<DeviceRow | null>;
  /**
   * Binds a device to another gateway of the same org (an org admin's explicit move): moves its
   * desired cook along, bumps both gateways' desired versions and writes the audit row, in one
   * transaction. Null when the device or the gateway is not in the scope's org.
   */
  moveDevice(scope: Scope, deviceId: string, toGatewayId: string, nowMs: number, audit: AuditRow): Promise<DeviceRow | null>;
  /** Newest first. */
  listEvents(scope: Scope, filter: EventFilter, page: PageRequest): Promise<Page<EventRow>>;
  /** Alarms, newest raised first. */
  listAlarms(scope: Scope, filter: AlarmFilter, page: PageRequest): Promise<Page<AlarmRow>>;
  /**
   * A person acknowledges an alarm of the scope (the first acknowledgement stays): recorded, audited
   * and queued to go down to its gateway, in one transaction. Null when the alarm is not in the scope;
   * else the alarm after it, and whether this acknowledgement changed it (not a second one).
   */
  ackAlarm(scope: Scope, id: string, ack: Ack, audit: AuditRow): Promise<{ alarm: AlarmRow; changed: boolean } | null>;
  /** Alarms acknowledged in the cloud that the gateway has not confirmed yet (they go down in its replies). */
  alarmsDown(gatewayId: string, limit: number): Promise<Alarm[]>;
  /** Newest first. */
  listAudit(scope: Scope, filter: AuditFilter, page: PageRequest): Promise<Page<AuditRow>>;
  /** Command results of one device, newest issued first. */
  listCommandResults(scope: Scope, deviceId: string, page: PageRequest): Promise<Page<CommandResultRow>>;
  /** The cook a gateway last reported for a device (highest version, then newest update). */
  latestCook(scope: Scope, deviceId: string): Promise<CookRow | null>;
  /** Cook records (every version and lifecycle step) of the scope's cooks started in [fromMs, toMs), newest start first. */
  cooksStarted(scope: Scope, fromMs: number, toMs: number, limit: number): Promise<CookRow[]>;
  /** Every cook record of the scope whose id starts with `<cookId>-v` (the caller checks the cook id). */
  cookRecords(scope: Scope, cookId: string): Promise<CookRow[]>;
  /**
   * One device's cook records stamped in [fromMs, toMs), plus the last one stamped before fromMs (the
   * cook the range starts in), oldest first: the target steps of a history chart.
   */
  cookChanges(scope: Scope, deviceId: string, fromMs: number, toMs: number): Promise<CookRow[]>;
  /** The first cook started on a device of the scope after `afterTs` (it ends the one before), or null. */
  nextCookStart(scope: Scope, deviceId: string, afterTs: number): Promise<number | null>;
  /** Dead-lettered records, newest first. */
  listDeadLetters(scope: Scope, page: PageRequest): Promise<Page<DeadLetterRow>>;
  /** Audit written by the cloud itself (control calls). */
  addAudit(row: AuditRow): Promise<void>;
  countRows(table: 'events' | 'audit' | 'command_results' | 'cooks' | 'devices' | 'dead_letters'): Promise<number>;
  /**
   * How many live objects of one kind the org has: gateways and API keys not revoked, users not
   * disabled (an invited user counts from the invitation), channels and presets (deleted ones are gone).
   */
  countLive(orgId: string, kind: OrgObjectKind): Promise<number>;
  /**
   * Runs `fn` in one transaction that holds the org's lock (its row in `orgs`, on MySQL/MariaDB
   * `SELECT … FOR UPDATE`; SQLite has one writer at a time anyway): two such sections of one org
   * never overlap, on any instance, so a count taken in one still holds at its insert (the org caps).
   * `fn` must use only the store it is given (bound to the transaction); an error thrown in it rolls
   * everything back. Other orgs are not held up.
   */
  withOrgLock<T>(orgId: string, fn: (meta: MetaStore) => Promise<T>): Promise<T>;
  /**
   * Sets (spec) or clears (null) the desired cook of a known device, bumping its gateway's desired
   * version, and writes the audit row, in one transaction. Null when the device is not in the scope.
   */
  setDesiredCook(
    scope: Scope,
    deviceId: string,
    spec: CookSpec | null,
    cookId: string,
    nowMs: number,
    audit: AuditRow,
  ): Promise<DesiredCook | null>;
  getDesiredCook(scope: Scope, deviceId: string): Promise<DesiredCook | null>;
  /** The gateway's desired state when its version is newer than `sinceVersion`, else null. Only devices it owns. */
  desiredFor(gatewayId: string, sinceVersion: number): Promise<{ version: number; devices: DesiredDeviceState[] } | null>;
  addApiKey(k: {
    id: string;
    keyHash: string;
    role: Role;
    owner: string;
    orgId: string;
    gatewayId: string | null;
    /** The user who made it (directly or through a key the user made); null: the CLI. */
    createdBy?: string | null;
    nowMs: number;
  }): Promise<void>;
  apiKeyByHash(keyHash: string): Promise<ApiKeyRow | null>;
  /** Whether the org's key `id` exists and is not revoked. */
  apiKeyLive(orgId: string, id: string): Promise<boolean>;
  listApiKeys(scope: Scope, page: PageRequest): Promise<Page<ApiKeyRow>>;
  revokeApiKey(scope: Scope, id: string, nowMs: number): Promise<boolean>;
  /** The org's cook presets by name (a preset belongs to the org, not to one gateway). */
  listPresets(scope: Scope, page: PageRequest): Promise<Page<Preset>>;
  getPreset(scope: Scope, name: string): Promise<Preset | null>;
  /** Creates or replaces the org's preset of that name. */
  putPreset(scope: Scope, name: string, spec: PresetSpec, nowMs: number): Promise<Preset>;
  deletePreset(scope: Scope, name: string): Promise<boolean>;
}

/** A user row: the API's shape (shared with the dashboard). */
export type UserRow = OrgUser;

/** User accounts, invitations and server-side sessions (only hashes of secrets are stored). */
export interface NewInvite {
  tokenHash: string;
  userId: string;
  orgId: string;
  /** The user who invites (directly or through a key the user made); null or unset: the CLI. */
  invitedBy?: string | null;
  nowMs: number;
  expiresMs: number;
}

export interface UserStore {
  addUser(u: {
    id: string;
    orgId: string;
    email: string;
    role: Role;
    serviceAdmin: boolean;
    passwordHash: string | null;
    nowMs: number;
  }): Promise<void>;
  /** With the password hash: for the login check only. */
  userByEmail(email: string): Promise<(UserRow & { passwordHash: string | null }) | null>;
  userById(id: string): Promise<(UserRow & { passwordHash: string | null }) | null>;
  /**
   * Removes an org's user with its invitations and sessions, in one transaction; the removed row,
   * null when the org has no such user, or 'last-admin' (nothing removed) when the user is the
   * org's only admin. Its e-mail may be invited again (audit rows keep it).
   */
  /**
   * `revokedKeys`: the API keys the user made, revoked with the removal; `withdrawnInvites`: the
   * invited users the user had invited and who had not yet accepted, removed with their invitations.
   */
  removeUser(
    scope: Scope,
    id: string,
    nowMs: number,
  ): Promise<(UserRow & { revokedKeys: string[]; withdrawnInvites: string[] }) | 'last-admin' | null>;
  /**
   * Gives an org's user `role`, in one transaction: the user as now with the role it had, null
   * when the org has no such user, or 'last-admin' (nothing changed) when the user is the org's
   * only admin and `role` is not admin. The same role as now changes nothing.
   */
  changeRole(
    scope: Scope,
    id: string,
    role: Role,
    nowMs: number,
  ): Promise<{ user: UserRow; oldRole: Role; revokedKeys: string[]; withdrawnInvites: string[] } | 'last-admin' | null>;
  listUsers(scope: Scope, page: PageRequest): Promise<Page<UserRow>>;
  setPassword(userId: string, passwordHash: string, nowMs: number): Promise<void>;
  addInvite(i: NewInvite): Promise<void>;
  /** The user of a valid, unused invitation (without using it), or null. */
  peekInvite(tokenHash: string, nowMs: number): Promise<string | null>;
  /** Uses a valid, unused invitation once; returns its user id, or null. */
  takeInvite(tokenHash: string, nowMs: number): Promise<string | null>;
  getSession(idHash: string, nowMs: number): Promise<string | null>;
  setSession(s: { idHash: string; userId: string | null; orgId: string | null; expiresMs: number; data: string }): Promise<void>;
  destroySession(idHash: string): Promise<void>;
  /** Ends every session of a user but one (a password change); returns how many ended. */
  destroyUserSessions(userId: string, exceptIdHash: string | null): Promise<number>;
}

export interface DeliveryFilter {
  state?: 'pending' | 'sent' | 'failed';
  channelId?: string;
}

/** One delivery of a notification through one channel, with its last attempt (newest first in lists). */
export interface DeliveryRow {
  /** The delivery's id (digits), also the cursor's sort key. */
  id: string;
  channelId: string;
  kind: string;
  state: 'pending' | 'sent' | 'failed';
  attempts: number;
  lastAttemptMs: number | null;
  nextAttemptMs: number | null;
  lastError: string | null;
  createdMs: number;
  notification: Notification;
}

/**
 * A pending delivery that is due, with its channel's spec (null: the channel was removed, or its
 * sealed config does not open: then `unreadable` says why, naming notify.secretsKey).
 */
export interface DueDelivery {
  delivery: number;
  orgId: string;
  channelId: string;
  kind: string;
  attempts: number;
  nextTs: number;
  notification: Notification;
  channel: ChannelSpec | null;
  unreadable?: string;
}

export interface SilentGateway {
  id: string;
  orgId: string;
  name: string;
  lastSeenMs: number;
}

/**
 * Channels and deliveries per org (Scope first; another org's channel is not found), and the
 * service-level reads and claims of the delivery worker and the gateway-offline check.
 */
/** What ingest notifies of the relayed events (cloud/stores/sql/notify-store.ts enqueueForEvents); set by the notifier. */
export interface NotifyIngestRules {
  /** An event that arrives later than this after it happened notifies no more (the gateway told the cook on the LAN). */
  maxEventAgeMs: number;
  /** Counts relayed events that would have notified and did not: `late`, or an alarm already `cleared`. */
  skipped: (reason: 'late' | 'cleared', n: number) => void;
}

export interface NotifyStore {
  /** Shared with every copy of the store (the notifier sets them at start). */
  readonly ingestRules: NotifyIngestRules;
  addChannel(scope: Scope, c: { id: string; spec: ChannelSpec; nowMs: number }): Promise<ChannelRow>;
  listChannels(scope: Scope, page: PageRequest): Promise<Page<ChannelRow>>;
  getChannel(scope: Scope, id: string): Promise<ChannelRow | null>;
  /** Removes a channel; its pending deliveries are given up. False when not in the scope's org. */
  deleteChannel(scope: Scope, id: string, nowMs: number): Promise<boolean>;
  /** Queues a notification for every channel of the org (or one); returns how many deliveries. */
  enqueue(scope: Scope, n: Notification, nowMs: number, channelId?: string): Promise<number>;
  /** Newest first. */
  listDeliveries(scope: Scope, filter: DeliveryFilter, page: PageRequest): Promise<Page<DeliveryRow>>;
  /** Service level: pending deliveries due at `nowMs`, oldest first, but none of `exceptChannels` (their lanes are busy). */
  dueDeliveries(nowMs: number, limit: number, exceptChannels?: readonly string[]): Promise<DueDelivery[]>;
  /** Service level: takes a due delivery for one instance (its next attempt moves to `leaseUntil`); false when another took it. */
  claimDelivery(delivery: number, seenNextTs: number, leaseUntil: number): Promise<boolean>;
  recordAttempt(r: AttemptResult): Promise<void>;
  pendingByKind(): Promise<Map<string, number>>;
  /** Service level: gateways (not revoked) last seen in [notBeforeMs, silentSinceMs), of orgs that have a channel. */
  silentGateways(silentSinceMs: number, notBeforeMs: number): Promise<SilentGateway[]>;
  /**
   * Service level: critical alarms raised since `notBeforeMs`, neither acknowledged nor cleared,
   * whose raise notified their org (the notification is what a reminder repeats).
   */
  openCriticalAlarms(notBeforeMs: number): Promise<OpenCriticalAlarm[]>;
  /** Service level: queues `n` for the org's channels unless a notification with its id exists (the claim). */
  enqueueOnce(orgId: string, gatewayId: string | null, n: Notification, nowMs: number): Promise<number>;
  /**
   * At start (ADR 076, 077): with notify.secretsKey set, seals the channel configs still stored as
   * plain JSON, and seals again with it those that open only with one of notify.previousSecretsKeys
   * (each row's UPDATE is conditional on its old value: two instances starting together change it
   * once); without it, only counts them. Counts only: never a value or a key.
   */
  sealAtRest(): Promise<ConfigsAtRest>;
  /** Read-only: how many channel configs open with which key (ADR 077: when a previous key can go). */
  configKeys(): Promise<ConfigKeyCounts>;
}

/** How many channel configs are stored plain, open with notify.secretsKey, only with a previous key, or with none. */
export interface ConfigKeyCounts {
  plain: number;
  current: number;
  previous: number;
  unreadable: number;
}

/** What `sealAtRest` did (`sealed`: plain ones, `resealed`: ones that opened only with a previous key) and left. */
export interface ConfigsAtRest {
  sealed: number;
  resealed: number;
  /** Left plain: notify.secretsKey unset. */
  plain: number;
  /** Still opening only with a previous key: another instance, with another notify.secretsKey, sealed them meanwhile. */
  previous: number;
  /** Opening with no key this instance has. */
  unreadable: number;
}

export interface OpenCriticalAlarm {
  orgId: string;
  gatewayId: string | null;
  raisedAt: number;
  /** The notification its raise sent. */
  first: Notification;
}

export interface Stores {
  telemetry: TelemetryStore;
  state: StateStore;
  meta: MetaStore;
}
