/**
 * The checks the hand-written fast paths share (a kit's telemetry on the gateway, a relayed
 * telemetry record in the cloud): the same ranges as the zod schemas in messages.ts and
 * shared/relay/batch.ts. A value they refuse goes through zod, which names the field.
 */
export const SENSORS: ReadonlySet<string> = new Set(['ok', 'disconnected', 'por', 'crc', 'range']);
const EPOCH_MAX = 8_640_000_000_000_000;

/** A non-negative safe integer (boot, seq). */
export const uint = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;
/** Epoch ms within what a Date can hold. */
export const epoch = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= EPOCH_MAX;
/** RSSI in dBm, -127…0. */
export const rssiOk = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= -127 && (v as number) <= 0;
