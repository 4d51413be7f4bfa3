import { z } from 'zod';
import { CookSpec, CookState } from '../cook.js';
import { DeviceId } from '../protocol/device-id.js';
import { CommandId, SensorState, TEMP_MAX_C, TEMP_MIN_C } from '../protocol/messages.js';

/**
 * Gateway → cloud relay batch (`POST /v1/ingest`). Every record carries its own idempotency key:
 * telemetry `(deviceId, boot, seq)`, everything else an `id`. Replays are no-ops in every store.
 */
export const RELAY_VERSION = 1 as const;
/**
 * Sent with every batch: the highest cook target the gateway accepts, °C (its `control.maxC` less
 * the overshoot margin). The cloud refuses a cook above it for that gateway's kits, as the gateway
 * would; a cloud that does not know the header ignores it.
 */
export const MAX_TARGET_HEADER = 'x-sousvide-max-target-c';
/**
 * Sent with every batch: a random id of the gateway process (new at each start). Two ids that
 * alternate under one token are two running gateways sharing it (a copied data dir).
 */
export const INSTANCE_HEADER = 'x-sousvide-instance';
/**
 * Sent with every attempt of a batch: the gateway's wall clock (epoch ms) when it sent this attempt.
 * A batch's body, and its `sentAt`, is made once and retried as is; this says when the attempt
 * left. The cloud measures a relayed event's age on the gateway's own clock with it (ADR 080), so
 * a gateway clock that is hours off changes nothing; a cloud that does not know it uses `sentAt`.
 */
export const SENT_AT_HEADER = 'x-sousvide-sent-at';
export const MAX_BATCH_RECORDS = 20_000;

const EpochMs = z.number().int().min(0).max(8_640_000_000_000_000);
const UInt = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** Record ids: ULID-like, generated where the record is born. */
export const RecordId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'must use only letters, digits, "_" and "-"');
const JsonData = z.record(z.string(), z.unknown());

export const TelemetryRecord = z.strictObject({
  kind: z.literal('telemetry'),
  deviceId: DeviceId,
  boot: UInt,
  seq: UInt,
  /** Device time, null when the device had no synced clock. */
  ts: EpochMs.nullable(),
  /** Gateway receive time (always known). */
  rxTs: EpochMs,
  tempC: z.number().min(TEMP_MIN_C).max(TEMP_MAX_C).nullable(),
  sensor: SensorState,
  heater: z.boolean(),
  rssi: z.number().int().min(-127).max(0).optional(),
});

export const StatusRecord = z.strictObject({
  kind: z.literal('status'),
  id: RecordId,
  deviceId: DeviceId,
  state: z.enum(['online', 'offline']),
  boot: UInt,
  fw: z.string().max(32).optional(),
  rxTs: EpochMs,
});

export const Severity = z.enum(['info', 'warning', 'alarm', 'critical']);

export const EventRecord = z.strictObject({
  kind: z.literal('event'),
  id: RecordId,
  deviceId: DeviceId.nullable(),
  /** e.g. offline, online, heating, reached, done, stopped, sensor_fault, over_temp, quota_drop. */
  type: z.string().min(1).max(48),
  severity: Severity,
  ts: EpochMs,
  /** Safety events are never evicted by the disk quota. */
  safety: z.boolean(),
  data: JsonData,
});

export const Actor = z.strictObject({
  type: z.enum(['engine', 'watchdog', 'user', 'cloud', 'system']),
  /** API key id / operator name; absent for the engine and watchdog. */
  id: z.string().max(64).optional(),
});

export const AuditRecord = z.strictObject({
  kind: z.literal('audit'),
  id: RecordId,
  ts: EpochMs,
  actor: Actor,
  deviceId: DeviceId.nullable(),
  action: z.string().min(1).max(48),
  reason: z.string().max(256),
  data: JsonData,
});

export const CommandResultRecord = z.strictObject({
  kind: z.literal('command_result'),
  id: CommandId,
  deviceId: DeviceId,
  op: z.enum(['press', 'safe']),
  expect: z.enum(['on', 'off']).optional(),
  issuedTs: EpochMs,
  ackTs: EpochMs.nullable(),
  outcome: z.enum(['acked', 'refused', 'timeout', 'expired']),
  heater: z.boolean().optional(),
  err: z.string().max(64).optional(),
  attempts: z.number().int().min(1).max(10),
});

export const CookRecord = z.strictObject({
  kind: z.literal('cook'),
  /** `<cook id>-v<version>-<state>` (shared/relay/cook-id.ts): one record per version and lifecycle step. */
  id: RecordId,
  deviceId: DeviceId,
  /** +1 at each change or stop of the cook. */
  version: UInt,
  state: CookState,
  spec: CookSpec,
  startedTs: EpochMs,
  /** The cook's stamp: when it was last started, changed or stopped; the later stamp wins (docs/sync.md). */
  updatedTs: EpochMs,
});

/**
 * An alarm's whole state (shared/alarms/lifecycle.ts), sent at each step (raise, acknowledge,
 * clear): the cloud merges it into its copy (the first acknowledgement and the first clearing win),
 * so a replay or a reordering changes nothing. `id` is the id of the event that raised it.
 */
export const AlarmFields = {
  id: RecordId,
  deviceId: DeviceId.nullable(),
  type: z.string().min(1).max(48),
  severity: z.enum(['alarm', 'critical']),
  raisedAt: EpochMs,
  text: z.string().min(1).max(500),
  acknowledgedBy: z.string().min(1).max(128).nullable(),
  acknowledgedAt: EpochMs.nullable(),
  note: z.string().max(500).nullable(),
  clearedAt: EpochMs.nullable(),
  how: z.string().min(1).max(48).nullable(),
};
export const AlarmState = z.strictObject(AlarmFields);
export const AlarmRecord = z.strictObject({ kind: z.literal('alarm'), ...AlarmFields });

/** At most this many device ids per registry record (a gateway with more sends several). */
export const MAX_REGISTRY_IDS = 5000;

/**
 * The gateway's device registry: ids it provisioned (added) and revoked. Sent when a device is
 * added or revoked, and for the whole registry when the gateway starts. The cloud accepts records
 * only for devices their gateway owns (docs/adr/027-tenancy.md).
 */
export const RegistryRecord = z.strictObject({
  kind: z.literal('registry'),
  id: RecordId,
  ts: EpochMs,
  added: z.array(DeviceId).max(MAX_REGISTRY_IDS),
  revoked: z.array(DeviceId).max(MAX_REGISTRY_IDS),
});

export const RelayRecord = z.discriminatedUnion('kind', [
  TelemetryRecord,
  StatusRecord,
  EventRecord,
  AuditRecord,
  CommandResultRecord,
  CookRecord,
  RegistryRecord,
  AlarmRecord,
]);
export type RelayRecord = z.infer<typeof RelayRecord>;

export const Backlog = z.strictObject({
  records: UInt,
  bytes: UInt,
  oldestAgeMs: UInt.nullable(),
  dropped: z.record(z.string(), UInt),
});

export const RelayBatch = z.strictObject({
  v: z.literal(RELAY_VERSION),
  batchId: RecordId,
  sentAt: EpochMs,
  /** The desired-state version the gateway has applied; the cloud answers with newer state. */
  desiredVersion: UInt,
  backlog: Backlog,
  records: z.array(RelayRecord).max(MAX_BATCH_RECORDS),
});
export type RelayBatch = z.infer<typeof RelayBatch>;

/** Desired state for one device: the cook the cloud wants running (null = none). */
export const DesiredDevice = z.strictObject({
  deviceId: DeviceId,
  cook: z
    .strictObject({
      id: RecordId,
      version: UInt,
      spec: CookSpec,
      updatedTs: EpochMs,
    })
    .nullable(),
});

/**
 * A record of a well-formed batch that failed validation: the cloud acknowledges it, counts it and
 * keeps it in its dead-letter store (docs/design.md invariant 5), so the gateway must not resend it.
 */
export const RejectedRecord = z.strictObject({
  /** Index in the batch's `records`. */
  index: UInt,
  /** `field: reason` lines (shared/zod-issues.ts). */
  reasons: z.array(z.string()),
});

/** At most this many alarms per reply (the rest follow with the next replies). */
export const MAX_DOWN_ALARMS = 100;

export const RelayReply = z.strictObject({
  ok: z.literal(true),
  batchId: RecordId,
  /** Valid records that were new. */
  accepted: UInt,
  /** Valid records already stored (replays). Telemetry replays are not counted: InfluxDB overwrites them silently. */
  duplicates: UInt,
  /** Invalid records, dead-lettered (absent or empty when every record was valid). */
  rejected: z.array(RejectedRecord).optional(),
  desired: z
    .strictObject({
      version: UInt,
      devices: z.array(DesiredDevice),
    })
    .nullable(),
  /**
   * Alarms acknowledged in the cloud that the gateway has not confirmed yet (absent when none): the
   * gateway merges each into its own and sends its state back, which ends the resending (docs/sync.md).
   */
  alarms: z.array(AlarmState).max(MAX_DOWN_ALARMS).optional(),
});
export type RelayReply = z.infer<typeof RelayReply>;
