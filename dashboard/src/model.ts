/**
 * What the views show, whichever API the page was served from. The cloud and the gateway answer
 * in different shapes (cloud/routes/*.ts, gateway/http/api.ts); api-cloud.ts and api-gateway.ts
 * map them to these, so the views never ask which one they talk to except for what only one has.
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
  /** Gateway only (the cloud does not receive these): food-safety time and servo health. */
  dangerZoneMs: number | null;
  actuator: ActuatorHealth | null;
}

export interface EventItem {
  id: string;
  ts: number;
  deviceId: string | null;
  type: string;
  severity: 'info' | 'warning' | 'alarm' | 'critical';
  data: Record<string, unknown>;
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

export interface Bucket {
  ts: number;
  mean: number | null;
  min: number | null;
  max: number | null;
}

export interface CookRequest {
  targetC: number;
  durationMin?: number;
  food?: string;
  lowTempOverride?: boolean;
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
  links(): Promise<Link[]>;
  /** What the gateway refused (dead letters, security events); null on the cloud. */
  rejected: RejectedApi | null;
  /** The gateway's notification deliveries (last attempts); null on the cloud. */
  notifications: NotificationsApi | null;
  /** Downsampled history from the store; null where the API has none (the gateway). */
  history: ((id: string, fromMs: number, toMs: number, everyMs: number) => Promise<Bucket[]>) | null;
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
}
