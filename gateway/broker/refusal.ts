/**
 * Marks a connection (or an error) whose refusal was already counted by its reason (auth, ACL,
 * rate limit, packet size, store failure), so that broker.ts counts every *other* error that
 * closes a device connection as a protocol error, and each refused connection exactly once.
 */
const COUNTED = Symbol('sv.refusal-counted');

export function markCounted<T extends object>(x: T): T {
  (x as { [COUNTED]?: boolean })[COUNTED] = true;
  return x;
}

export function isCounted(x: unknown): boolean {
  return typeof x === 'object' && x !== null && (x as { [COUNTED]?: boolean })[COUNTED] === true;
}

/** Why Aedes closed a connection, for `protocol_error_total{reason}`. */
export function protocolErrorReason(err: Error): 'connect_timeout' | 'protocol_version' | 'malformed' {
  if (err.message === 'connect did not arrive in time') return 'connect_timeout';
  if ((err as { errorCode?: number }).errorCode === 1) return 'protocol_version'; // CONNACK 1: not MQTT 3.1/3.1.1
  return 'malformed'; // mqtt-packet parse errors, Aedes' protocol checks (first packet not CONNECT, wildcards in PUBLISH…)
}
