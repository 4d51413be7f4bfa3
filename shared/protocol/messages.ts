import { z } from 'zod';

/**
 * Device protocol v1 messages (docs/protocol.md). Strict: unknown fields are rejected.
 * Every field keeps the name and unit of the wire format.
 */

export const PROTOCOL_VERSION = 1 as const;
/** docs/protocol.md: payloads are at most 1 KiB. */
export const MAX_PAYLOAD_BYTES = 1024;

const Version = z.literal(PROTOCOL_VERSION);
const UInt = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** Unix epoch milliseconds. */
const EpochMs = z.number().int().min(0).max(8_640_000_000_000_000);

/** DS18B20 classification (docs/protocol.md, Telemetry.sensor). */
export const SensorState = z.enum(['ok', 'disconnected', 'por', 'crc', 'range']);
export type SensorState = z.infer<typeof SensorState>;

/** The probe's valid range; readings outside it are reported as `sensor: "range"`. */
export const TEMP_MIN_C = -10;
export const TEMP_MAX_C = 110;

export const Telemetry = z
  .strictObject({
    v: Version,
    boot: UInt,
    seq: UInt,
    ts: EpochMs.nullable(),
    tempC: z.number().min(TEMP_MIN_C).max(TEMP_MAX_C).nullable(),
    sensor: SensorState,
    heater: z.boolean(),
    rssi: z.number().int().min(-127).max(0).optional(),
  })
  .superRefine((t, ctx) => {
    // PROTOCOL: tempC is null exactly when sensor is not "ok".
    if (t.sensor === 'ok' && t.tempC === null) {
      ctx.addIssue({ code: 'custom', path: ['tempC'], message: 'must be a number when sensor is "ok"' });
    }
    if (t.sensor !== 'ok' && t.tempC !== null) {
      ctx.addIssue({ code: 'custom', path: ['tempC'], message: 'must be null when sensor is not "ok"' });
    }
  });
export type Telemetry = z.infer<typeof Telemetry>;

export const ActuationProfile = z.enum(['toggle']);

export const Status = z.strictObject({
  v: Version,
  state: z.enum(['online', 'offline']),
  boot: UInt,
  fw: z.string().min(1).max(32),
  profile: ActuationProfile,
});
export type Status = z.infer<typeof Status>;

/** Command ids: ≤ 40 chars, URL- and topic-safe. */
export const CommandId = z
  .string()
  .min(1)
  .max(40)
  .regex(/^[A-Za-z0-9_-]+$/, 'must use only letters, digits, "_" and "-"');

export const Command = z
  .strictObject({
    v: Version,
    id: CommandId,
    op: z.enum(['press', 'safe']),
    expect: z.enum(['on', 'off']).optional(),
    ttlMs: z.number().int().min(100).max(600_000),
    sentTs: EpochMs.optional(),
    maxC: z.number().min(20).max(TEMP_MAX_C).optional(),
  })
  .superRefine((c, ctx) => {
    if (c.op === 'press' && c.expect === undefined) {
      ctx.addIssue({ code: 'custom', path: ['expect'], message: 'is required when op is "press"' });
    }
    if (c.op === 'safe' && c.expect !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['expect'], message: 'is not allowed when op is "safe"' });
    }
  });
export type Command = z.infer<typeof Command>;

export const Ack = z
  .strictObject({
    v: Version,
    id: CommandId,
    ok: z.boolean(),
    heater: z.boolean(),
    err: z.string().min(1).max(64).optional(),
  })
  .superRefine((a, ctx) => {
    if (!a.ok && a.err === undefined) {
      ctx.addIssue({ code: 'custom', path: ['err'], message: 'is required when ok is false' });
    }
  });
export type Ack = z.infer<typeof Ack>;

/** The message kinds, keyed by the topic suffix that carries them. */
export const DEVICE_MESSAGES = {
  telemetry: Telemetry,
  status: Status,
  ack: Ack,
  cmd: Command,
} as const;
export type DeviceMessageKind = keyof typeof DEVICE_MESSAGES;
export type DeviceMessage<K extends DeviceMessageKind> = z.infer<(typeof DEVICE_MESSAGES)[K]>;
