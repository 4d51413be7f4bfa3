/**
 * The one error-code catalogue (docs/design.md: errors are identified by a code, not by message text).
 * Every code the gateway, the cloud, the CLI or a test asserts on lives here.
 */
export const ERROR_CODES = {
  SV_ERR_CONFIG_INVALID: { http: 500, text: 'configuration is invalid' },
  SV_ERR_CLI_USAGE: { http: 400, text: 'command-line arguments are invalid' },
  SV_ERR_STARTUP: { http: 500, text: 'the service could not start' },
  SV_ERR_DATA_DIR_IN_USE: { http: 409, text: 'the data dir is in use by another process' },
  SV_ERR_NO_STORE: { http: 404, text: 'no store in the data dir' },
  SV_ERR_STORE_DAMAGED: { http: 500, text: 'a store file is not a SQLite database, or is damaged' },
  SV_ERR_PAYLOAD_TOO_LARGE: { http: 413, text: 'payload exceeds the size limit' },
  SV_ERR_PAYLOAD_NOT_UTF8: { http: 400, text: 'payload is not valid UTF-8' },
  SV_ERR_PAYLOAD_NOT_JSON: { http: 400, text: 'payload is not valid JSON' },
  SV_ERR_PAYLOAD_DUPLICATE_KEY: { http: 400, text: 'payload has a key that appears more than once in one object' },
  SV_ERR_PAYLOAD_INVALID: { http: 400, text: 'payload does not match the schema' },
  SV_ERR_TOPIC_INVALID: { http: 400, text: 'topic is not a protocol v1 topic' },
  SV_ERR_DUPLICATE: { http: 200, text: 'record was already stored (idempotent replay)' },
  SV_ERR_ACL_DENIED: { http: 403, text: 'topic is outside the device namespace' },
  SV_ERR_AUTH_FAILED: { http: 401, text: 'authentication failed' },
  SV_ERR_AUTH_BANNED: { http: 429, text: 'too many failed authentications; temporarily banned' },
  SV_ERR_DEVICE_REVOKED: { http: 403, text: 'device is revoked' },
  SV_ERR_CLIENT_ID_MISMATCH: { http: 403, text: 'MQTT client id must equal the device id' },
  SV_ERR_RATE_LIMITED: { http: 429, text: 'rate limit exceeded' },
  SV_ERR_STORE_FAILED: { http: 503, text: 'durable store failed' },
  SV_ERR_SINK_UNAVAILABLE: { http: 503, text: 'a storage sink is unavailable or too slow' },
  SV_ERR_UNAUTHORIZED: { http: 401, text: 'missing or invalid credentials' },
  SV_ERR_FORBIDDEN: { http: 403, text: 'role does not allow this action' },
  SV_ERR_NOT_FOUND: { http: 404, text: 'not found' },
  SV_ERR_METHOD_NOT_ALLOWED: { http: 405, text: 'the route does not take this method' },
  SV_ERR_VALIDATION: { http: 400, text: 'request is invalid' },
  SV_ERR_BODY_TOO_LARGE: { http: 413, text: 'request body too large' },
  SV_ERR_CONFLICT: { http: 409, text: 'conflicting change' },
  SV_ERR_ORG_LIMIT: { http: 409, text: 'the org has as many of these as it may' },
  SV_ERR_HARNESS_BINARY_MISSING: { http: 500, text: 'a service binary needed by the test harness is missing' },
  SV_ERR_NATIVE_BUILD: { http: 500, text: 'the native load generator cannot be built (C compiler or OpenSSL headers missing)' },
  SV_ERR_INTERNAL: { http: 500, text: 'internal error' },
} as const satisfies Record<`SV_ERR_${string}`, { http: number; text: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** An error that carries a catalogue code; `details` names fields and reasons. */
export class SvError extends Error {
  readonly code: ErrorCode;
  readonly details: readonly string[];
  constructor(code: ErrorCode, message?: string, details: readonly string[] = []) {
    super(message ?? ERROR_CODES[code].text);
    this.name = 'SvError';
    this.code = code;
    this.details = details;
  }
  get httpStatus(): number {
    return ERROR_CODES[this.code].http;
  }
}

export function isSvError(err: unknown, code?: ErrorCode): err is SvError {
  return err instanceof SvError && (code === undefined || err.code === code);
}
