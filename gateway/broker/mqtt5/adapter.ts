import type { Socket } from 'node:net';
import type { Stats } from '../../stats.js';
import { markCounted } from '../refusal.js';
import { Mqtt5Session } from './session.js';
import { peekConnect } from './sniff.js';

/** A refusal of an MQTT 5 client that the adapter answered itself (Aedes never saw the packet). */
export interface Refusal {
  counter: 'acl_denied' | 'auth_failed' | 'rate_limited';
  /** The counter's label: `publish` | `subscribe` (ACL, rate), `bad_auth_method` | `bad_client_id` (CONNECT). */
  reason: string;
  clientId: string | null;
  remote: string | null;
  /** For the security log, in hooks.ts' format (`publish sv/x/telemetry`, `subscribe #`, the auth reason). */
  detail: string;
}

export interface MqttVersionDeps {
  stats: Stats;
  /** mqtt.maxPacketBytes: announced to MQTT 5 clients (the packet guard enforces it for every client). */
  maxPacketBytes: number;
  /** mqtt.connectTimeoutMs: a connection without a complete first packet by then is closed and counted. */
  connectTimeoutMs: number;
  /**
   * Counts and records a refusal exactly as hooks.ts does for MQTT 3.1.1 (the broker wires the
   * security log here). Without it the refusal is only counted.
   */
  onRefused?: (r: Refusal) => void;
  /**
   * Takes one publish from the device's rate budget (the same token bucket hooks.ts takes from).
   * A publish the adapter refuses itself (ACL, 0x87) still costs one, so that a flood of refused
   * publishes ends the connection as a flood of allowed ones does. Without it: no limit here.
   */
  takePublish?: (deviceId: string) => boolean;
}

/**
 * Serves a new (TLS) connection in the MQTT version its CONNECT asks for. Aedes 1.x speaks MQTT
 * 3.1/3.1.1 only: an MQTT 3.1/3.1.1 client's socket goes to `handle` (Aedes) as it is, its first
 * packet put back in front, with no per-packet work afterwards; an MQTT 5 client gets an
 * Mqtt5Session that translates each way. See docs/adr/007-embedded-broker.md.
 */
export function acceptMqtt(socket: Socket, handle: (conn: Socket) => void, d: MqttVersionDeps): void {
  peekConnect(socket, d.maxPacketBytes, d.connectTimeoutMs, (what) => {
    if (what === 'other') handle(socket);
    else if (what === 'mqtt5') Mqtt5Session.serve(socket, handle, d);
    else if (what === 'timeout') {
      // What Aedes' own connect timer did before: close and count (broker.ts counts the same way).
      d.stats.incLabel('protocol_error', 'connect_timeout');
      markCounted(socket);
      socket.destroy();
    }
    // closed: the peer left before a first packet; nothing to serve or count (as in Aedes).
  });
}
