/**
 * The gateway's pipeline counters, named after the design's stages (mqtt_recv, parse_ok/fail,
 * duplicate, store_ok/fail, …). Plain numbers on the hot path; /metrics and the once-a-second
 * snapshot read them. Labelled counters keep one number per label value.
 */
export const COUNTERS = {
  mqtt_recv: 'PUBLISH packets received from devices on uplink topics',
  qos0_recv: 'QoS 0 publishes (best effort; stored when possible, never acknowledged)',
  parse_ok: 'payloads that passed strict parsing',
  parse_fail: 'payloads rejected by strict parsing (dead-lettered and acknowledged)',
  duplicate: 'telemetry replays of an already stored (device, boot, seq)',
  store_ok: 'messages committed to SQLite',
  store_fail: 'messages whose commit failed (not acknowledged)',
  puback_sent: 'QoS 1 messages released for PUBACK after their commit',
  acl_denied: 'publishes or subscriptions outside the device namespace',
  auth_failed: 'refused connection attempts (bad credentials, unknown, revoked, banned)',
  auth_ok: 'accepted device connections',
  conn_refused: 'TCP/TLS connections refused before MQTT (limits, bans)',
  packet_too_large: 'connections closed for an MQTT packet above the size limit',
  rate_limited: 'publishes refused by the per-device rate limit (connection closed)',
  protocol_error: 'connections closed for a malformed MQTT packet, a protocol violation or no CONNECT in time (by reason)',
  client_replaced: 'connections replaced by a newer one with the same client id',
  boot_regression: 'telemetry whose boot counter went backwards (a reflashed or replaced kit; control follows the new boot)',
  seq_regression:
    'telemetry whose seq went back within a boot, followed after a run of readings (a kit that counts again without a new boot)',
  command_clock_skew:
    "kits that refused as expired a command sent within its TTL (their clock and the gateway's disagree); their commands then go without sentTs",
  clock_step: 'steps of the wall clock by a second or more (NTP, an operator); control keeps its own time through them',
  security_log_dropped: 'security events not written to disk because of the rate limit',
} as const;
export type CounterName = keyof typeof COUNTERS;

export class Stats {
  readonly totals: Record<CounterName, number>;
  readonly labelled = new Map<string, Map<string, number>>();

  constructor() {
    this.totals = Object.fromEntries(Object.keys(COUNTERS).map((k) => [k, 0])) as Record<CounterName, number>;
  }

  inc(name: CounterName, by = 1): void {
    this.totals[name] += by;
  }

  /** Increments the total and the per-label count (e.g. parse_fail by field, auth_failed by reason). */
  incLabel(name: CounterName, label: string, by = 1): void {
    this.totals[name] += by;
    let m = this.labelled.get(name);
    if (!m) {
      m = new Map();
      this.labelled.set(name, m);
    }
    m.set(label, (m.get(label) ?? 0) + by);
  }

  snapshot(): Record<CounterName, number> {
    return { ...this.totals };
  }
}
