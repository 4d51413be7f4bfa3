import type { ErrorCode } from '../errors.js';
import { formatIssues } from '../zod-issues.js';
import { findDuplicateKey } from './duplicate-keys.js';
import { fastTelemetry } from './fast-telemetry.js';
import { DEVICE_MESSAGES, type DeviceMessage, type DeviceMessageKind, MAX_PAYLOAD_BYTES } from './messages.js';

export type ParseResult<T> = { ok: true; value: T } | { ok: false; code: ErrorCode; reason: string; issues: string[] };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Strict parse of a device payload: size, UTF-8, JSON object, no key twice in one object, then
 * the v1 schema (valid telemetry through fast-telemetry.ts, with the schema's verdict).
 * Never throws; the failure says which field and why (PROTOCOL: invalid input is
 * acknowledged and dead-lettered with its reason).
 */
export function parseDeviceMessage<K extends DeviceMessageKind>(kind: K, payload: Uint8Array | string): ParseResult<DeviceMessage<K>> {
  const bytes = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  if (bytes > MAX_PAYLOAD_BYTES) {
    return fail('SV_ERR_PAYLOAD_TOO_LARGE', [`(root): ${bytes} bytes exceeds the ${MAX_PAYLOAD_BYTES}-byte limit`]);
  }
  let text: string;
  try {
    text = typeof payload === 'string' ? payload : utf8.decode(payload);
  } catch {
    return fail('SV_ERR_PAYLOAD_NOT_UTF8', ['(root): payload is not valid UTF-8']);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return fail('SV_ERR_PAYLOAD_NOT_JSON', [`(root): not valid JSON (${(err as Error).message})`]);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return fail('SV_ERR_PAYLOAD_INVALID', ['(root): must be a JSON object']);
  }
  // JSON.parse kept only the last of a repeated key's values; which one the device meant is unknown.
  const duplicate = findDuplicateKey(text);
  if (duplicate !== null) {
    return fail('SV_ERR_PAYLOAD_DUPLICATE_KEY', [`${duplicate}: duplicate_key (appears more than once)`]);
  }
  if (kind === 'telemetry') {
    const fast = fastTelemetry(json);
    if (fast) return { ok: true, value: fast as DeviceMessage<K> };
  }
  const result = DEVICE_MESSAGES[kind].safeParse(json);
  if (!result.success) {
    return fail('SV_ERR_PAYLOAD_INVALID', formatIssues(result.error));
  }
  return { ok: true, value: result.data as DeviceMessage<K> };
}

function fail(code: ErrorCode, issues: string[]): { ok: false; code: ErrorCode; reason: string; issues: string[] } {
  return { ok: false, code, reason: issues.join('; '), issues };
}
