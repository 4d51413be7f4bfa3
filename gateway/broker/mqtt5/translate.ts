import type { IConnackPacket, IConnectPacket, IPublishPacket } from 'mqtt-packet';

/** The MQTT 5 reason codes the adapter sends (MQTT 5 §2.4). */
export const RC = {
  success: 0x00,
  disconnectWithWill: 0x04,
  unspecified: 0x80,
  malformed: 0x81,
  protocolError: 0x82,
  unsupportedVersion: 0x84,
  badClientId: 0x85,
  badCredentials: 0x86,
  notAuthorized: 0x87,
  serverUnavailable: 0x88,
  badAuthMethod: 0x8c,
  topicNameInvalid: 0x90,
  topicAliasInvalid: 0x94,
  messageRateTooHigh: 0x96,
} as const;

/** CONNACK: MQTT 3.1.1 return code (Aedes) → MQTT 5 reason code. */
const CONNACK_REASONS = [RC.success, RC.unsupportedVersion, RC.badClientId, RC.serverUnavailable, RC.badCredentials, RC.notAuthorized];

export function connackReason(returnCode: number | undefined): number {
  return CONNACK_REASONS[returnCode ?? -1] ?? RC.unspecified;
}

export type ConnectTranslation =
  | { ok: true; packet: IConnectPacket }
  | { ok: false; reasonCode: number /** auth_failed label */; reason: 'bad_auth_method' | 'bad_client_id' };

/**
 * CONNECT v5 → 3.1.1. Properties are dropped (session expiry, receive maximum, user properties…;
 * the Maximum Packet Size is read by the session). Enhanced authentication (an Authentication
 * Method) has no 3.1.1 form: refused with 0x8C. MQTT 3.1.1 cannot carry an empty client id without
 * a clean session: refused with 0x85, as any client id that is not a device id is.
 */
export function connectToV4(p: IConnectPacket): ConnectTranslation {
  if (p.properties?.authenticationMethod !== undefined) return { ok: false, reasonCode: RC.badAuthMethod, reason: 'bad_auth_method' };
  if (p.clientId === '' && p.clean === false) return { ok: false, reasonCode: RC.badClientId, reason: 'bad_client_id' };
  const v4: IConnectPacket = {
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clientId: p.clientId,
    clean: p.clean !== false, // Clean Start; the Session Expiry Interval is not honoured (3.1.1 session rules)
    keepalive: p.keepalive ?? 0,
  };
  if (p.username !== undefined) v4.username = p.username;
  if (p.password !== undefined) v4.password = p.password;
  if (p.will) v4.will = { topic: p.will.topic, payload: p.will.payload, qos: p.will.qos ?? 0, retain: p.will.retain ?? false };
  return { ok: true, packet: v4 };
}

/** CONNACK 3.1.1 → v5; a successful one announces what this server does and does not do. */
export function connackToV5(p: IConnackPacket, accepted: IConnackPacket['properties']): IConnackPacket {
  const reasonCode = connackReason(p.returnCode);
  return { cmd: 'connack', sessionPresent: p.sessionPresent, reasonCode, ...(reasonCode === RC.success ? { properties: accepted } : {}) };
}

/**
 * PUBLISH without properties, both ways: v5 → 3.1.1 (`topic` after alias resolution; message
 * expiry, user properties, response topic, correlation data, content type are dropped) and
 * 3.1.1 (Aedes) → v5 (this server sets no topic aliases of its own).
 */
export function plainPublish(p: IPublishPacket, topic = p.topic): IPublishPacket {
  const out: IPublishPacket = { cmd: 'publish', topic, payload: p.payload, qos: p.qos, retain: p.retain, dup: p.dup };
  if (p.qos > 0) out.messageId = p.messageId;
  return out;
}

/** SUBACK code 3.1.1 → v5: granted QoS 0-2 are the same codes; 0x80 (failure) is "unspecified error". */
export function subackCode(granted: number | undefined): number {
  return granted === 0 || granted === 1 || granted === 2 ? granted : RC.unspecified;
}

/**
 * The v5 SUBACK of a SUBACK whose SUBSCRIBE the adapter forwarded without its refused filters:
 * refused positions get 0x87, the others Aedes' answers in order.
 */
export function mergeSuback(granted: readonly number[], refused: readonly boolean[]): number[] {
  let next = 0;
  return refused.map((r) => (r ? RC.notAuthorized : subackCode(granted[next++])));
}

/**
 * Client → server topic aliases (MQTT 5 §3.3.2.3.4), per connection. Misuse ends the connection:
 * an alias of 0 or above the announced maximum is 0x94, an alias never set (or an empty topic
 * without an alias) is a protocol error, 0x82.
 */
export class TopicAliases {
  private readonly topics = new Map<number, string>();

  constructor(readonly max: number) {}

  resolve(topic: string, alias: number | undefined): { topic: string } | { reasonCode: number } {
    if (alias === undefined) return topic === '' ? { reasonCode: RC.protocolError } : { topic };
    if (alias < 1 || alias > this.max) return { reasonCode: RC.topicAliasInvalid };
    if (topic !== '') {
      this.topics.set(alias, topic);
      return { topic };
    }
    const known = this.topics.get(alias);
    return known === undefined ? { reasonCode: RC.protocolError } : { topic: known };
  }
}
