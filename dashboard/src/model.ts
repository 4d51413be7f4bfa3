import type { OrgUser, Role } from '../../shared/api/users.js';
import type { RecordLethality } from '../../shared/food-safety/cook-record.js';
/**
 * What the views show, whichever API the page was served from. The cloud and the gateway answer
 * in one style and the same shapes (docs/api.md, shared/api/resources.ts); api-common.ts maps
 * them to these, and api-cloud.ts and api-gateway.ts add only what one side has.
 */
export type Kind = 'cloud' | 'gateway';

export interface CookView {
  state: 'heating' | 'holding' | 'done' | 'stopped';
  targetC: number;
  durationMin: number | null;
  food: string | null;
  startedTs: number;
  /** Cloud only: a change the cloud holds that the gateway has not reported yet. */
  pending: string | null;
  /** The whole spec as the API holds it (food kind, shape, thickness, override): "Change cook" keeps it. */
  spec: CookRequest;
  /** Changes with every change of the cook (its id and version): the form refills on a new one. */
  version: string;
}

export interface ActuatorHealth {
  presses: number;
  confirmed: number;
  /** Presses judged against the bath (confirmed + missed): the ratio's denominator. */
  judged: number;
  successRate: number | null;
}

export interface Kit {
  id: string;
  gateway: string | null;
  online: boolean;
  tempC: number | null;
  sensor: string | null;
  heater: boolean | null;
  /** When the latest reading arrived (gateway receive time). */
  lastTs: number | null;
  /** Identifies the latest reading: the chart appends a point only for a new one. */
  readingKey: string | null;
  cook: CookView | null;
  /** Gateway only: when the bath reached the cook's target (the timer's start); null before, and on the cloud. */
  reachedTs: number | null;
  /** Gateway only (the cloud does not receive these): food-safety time and servo health. */
  dangerZoneMs: number | null;
  actuator: ActuatorHealth | null;
  /** The cook's outcome as the gateway forecasts it (docs/food-safety.md). */
  outcome: Outcome;
}

/** Epoch ms or null, as GET /v1/devices/{id} gives them on both sides. */
export interface Outcome {
  readyAt: number | null;
  /** While the bath model is still learning: the range readyAt may fall in. */
  readyBand: { earliest: number; latest: number } | null;
  doneAt: number | null;
  safeAt: number | null;
  /** Null when the cook names no food kind and thickness. */
  safety: { foodKind: string; coreC: number; lethality: number; pasteurized: boolean; never: boolean } | null;
}

export const NO_OUTCOME: Outcome = { readyAt: null, readyBand: null, doneAt: null, safeAt: null, safety: null };

export interface EventItem {
  id: string;
  ts: number;
  deviceId: string | null;
  type: string;
  severity: 'info' | 'warning' | 'alarm' | 'critical';
  data: Record<string, unknown>;
}

/** An alarm with its lifecycle (GET /v1/alarms, the same on both sides). */
export interface AlarmItem {
  id: string;
  deviceId: string | null;
  type: string;
  severity: 'alarm' | 'critical';
  raisedAt: number;
  text: string;
  state: 'open' | 'acknowledged' | 'cleared';
  acknowledgedBy: string | null;
  acknowledgedAt: number | null;
  note: string | null;
  clearedAt: number | null;
  how: string | null;
}

export interface AlarmsApi {
  list(q: { state?: AlarmItem['state']; limit: number }): Promise<AlarmItem[]>;
  acknowledge(id: string, note?: string): Promise<AlarmItem>;
}

export interface AuditItem {
  id: string;
  ts: number;
  actor: string;
  deviceId: string | null;
  action: string;
  reason: string;
}

export interface Link {
  name: string;
  /** Up / down as the side that serves the page knows it. */
  state: string;
  up: boolean;
  backlogRecords: number | null;
  backlogBytes: number | null;
  oldestAgeMs: number | null;
  lastSeenTs: number | null;
  detail: string | null;
}

/** GET /v1/devices/{id}/telemetry on both sides (shared/history/buckets.ts). */
export interface Bucket {
  ts: number;
  mean: number | null;
  min: number | null;
  max: number | null;
  /** Share of the bucket's readings with the heater on, 0–1. */
  heaterOn: number | null;
  /** The cook's target at the bucket's end, °C (null: no cook). */
  targetC: number | null;
}

export interface CookRequest {
  targetC: number;
  durationMin?: number;
  food?: string;
  foodKind?: string;
  foodShape?: string;
  thicknessMm?: number;
  lowTempOverride?: boolean;
}

export interface CookSummary {
  id: string;
  deviceId: string;
  startedTs: number;
  state: string;
  targetC: number;
  food: string | null;
  foodKind: string | null;
}

/** A core's lethality in a cook record: the shape shared/food-safety/cook-record.ts builds. */
export type CookLethality = RecordLethality;

/** GET /v1/cooks/{id} on both sides (shared/food-safety/cook-record.ts). */
export interface CookRecord {
  id: string;
  deviceId: string;
  gatewayId: string | null;
  who: string[];
  startedTs: number;
  endedTs: number | null;
  state: string;
  food: { label: string | null; kind: string | null; shape: string | null; thicknessMm: number | null };
  targetC: number;
  durationMin: number | null;
  readings: number;
  minC: number | null;
  maxC: number | null;
  dangerZoneMs: number;
  /** Time in gaps of more than 2 min between readings (counted as danger time when either end was in the zone). */
  gapMs: number;
  gaps: { fromTs: number; toTs: number; fromC: number; toC: number }[];
  atOrAboveTargetMs: number;
  foodInTs: number | null;
  lethality: CookLethality | null;
  segments: {
    fromTs: number;
    toTs: number | null;
    targetC: number;
    durationMin: number | null;
    food: CookRecord['food'];
    atOrAboveTargetMs: number;
    newCore: boolean;
  }[];
  cores: { fromTs: number; toTs: number | null; food: CookRecord['food']; lethality: CookLethality | null }[];
  alarms: { ts: number; type: string; severity: string; data: Record<string, unknown> }[];
  actions: { ts: number; actor: string; action: string; reason: string }[];
  curve: { ts: number; min: number; mean: number; max: number }[];
}

export interface Api {
  kind: Kind;
  name: string;
  kits(): Promise<Kit[]>;
  kit(id: string): Promise<Kit>;
  startCook(id: string, spec: CookRequest): Promise<void>;
  stopCook(id: string): Promise<void>;
  events(q: { device?: string; limit: number }): Promise<EventItem[]>;
  audit(q: { device?: string; limit: number }): Promise<AuditItem[]>;
  alarms: AlarmsApi;
  links(): Promise<Link[]>;
  /** What the gateway refused (dead letters, security events); null on the cloud. */
  rejected: RejectedApi | null;
  cooks(fromMs: number, toMs: number): Promise<CookSummary[]>;
  cook(id: string): Promise<CookRecord>;
  /** Raw readings of [fromMs, toMs) as CSV text (header row first). */
  readingsCsv(deviceId: string, fromMs: number, toMs: number): Promise<string>;
  /** Cook presets (the gateway's, or the org's on the cloud); null where the API has none. */
  presets: (() => Promise<{ name: string; spec: CookRequest }[]>) | null;
  /** Notification deliveries (last attempts): the gateway's, or the org's on the cloud (with its channels). */
  notifications: NotificationsApi | null;
  /** Downsampled history from the store (the cloud's, or the gateway's own SQLite). */
  history: ((id: string, fromMs: number, toMs: number, everyMs: number) => Promise<Bucket[]>) | null;
  /** The org's users and invitations (the cloud, an org admin's); null on the gateway. */
  users: UsersApi | null;
}

export interface DeadLetter {
  id: number;
  rxTs: number;
  deviceId: string | null;
  topic: string;
  code: string;
  reason: string;
  bytes: number;
  payload?: string;
  payloadBase64?: string;
}

export interface SecurityEvent {
  id: number;
  ts: number;
  kind: string;
  deviceId: string | null;
  remote: string | null;
  detail: string;
}

export interface RejectedApi {
  deadLetters(q: { device?: string; limit: number }): Promise<DeadLetter[]>;
  securityEvents(q: { device?: string; limit: number }): Promise<SecurityEvent[]>;
  replay(id: number): Promise<void>;
  purge(id: number): Promise<void>;
}

export interface NotificationDelivery {
  id: number;
  channel: string;
  state: 'pending' | 'sent' | 'failed';
  attempts: number;
  lastAttemptTs: number | null;
  nextAttemptTs: number | null;
  lastError: string | null;
  notification: { id: string; type: string; severity: string; deviceId: string | null; at: string; text: string };
}

export interface NotificationsApi {
  list(q: { device?: string; limit: number }): Promise<{ channels: string[]; items: NotificationDelivery[] }>;
  /** The org's channels, managed through the API (the cloud; an org admin); absent on the gateway (its config has them). */
  channels?: ChannelsApi;
}

/** A channel as the cloud shows it: never the webhook secret, passwords as ***. */
export type NotifyChannel =
  | { id: string; kind: 'webhook'; url: string; secretSet: boolean; createdMs: number }
  | { id: string; kind: 'ntfy'; url: string; createdMs: number }
  | { id: string; kind: 'email'; smtpUrl: string; to: string[]; createdMs: number }
  /** Its config is sealed and the cloud cannot open it (notify.secretsKey missing or wrong: ADR 076). */
  | { id: string; kind: 'webhook' | 'ntfy' | 'email'; url: string; sealed: true; createdMs: number };

export type NewChannel =
  | { kind: 'webhook'; url: string; secret: string }
  | { kind: 'ntfy'; url: string }
  | { kind: 'email'; smtpUrl: string; to: string[] };

export interface ChannelsApi {
  list(): Promise<NotifyChannel[]>;
  add(c: NewChannel): Promise<NotifyChannel>;
  remove(id: string): Promise<void>;
  /** Queues a test message through every channel; answers how many deliveries. */
  test(): Promise<number>;
}

export { ROLES, type Role } from '../../shared/api/users.js';

/** A user of the org as the cloud lists it (GET /v1/users; never a password). */
export type Member = OrgUser;

export interface UsersApi {
  list(): Promise<Member[]>;
  /** A one-time link (null only for a user made with a password, which the API never does). */
  invite(email: string, role: Role): Promise<{ id: string; inviteUrl: string | null }>;
  setRole(id: string, role: Role): Promise<Member>;
  /** Removes the user; for one who has not accepted yet, this withdraws the invitation. */
  remove(id: string): Promise<void>;
}
