import { isDeviceId } from './protocol/device-id.js';

/**
 * Topic builders and parsers: nothing else in the code base concatenates topic strings.
 * docs/protocol.md: `sv/<id>/telemetry|status|ack` (device → gateway), `sv/<id>/cmd` (gateway → device).
 */
export const TOPIC_ROOT = 'sv';
export const UPLINK_SUFFIXES = ['telemetry', 'status', 'ack'] as const;
export type UplinkSuffix = (typeof UPLINK_SUFFIXES)[number];
export type TopicSuffix = UplinkSuffix | 'cmd';

export const topics = {
  telemetry: (deviceId: string) => build(deviceId, 'telemetry'),
  status: (deviceId: string) => build(deviceId, 'status'),
  ack: (deviceId: string) => build(deviceId, 'ack'),
  cmd: (deviceId: string) => build(deviceId, 'cmd'),
} as const;

function build(deviceId: string, suffix: TopicSuffix): string {
  if (!isDeviceId(deviceId)) throw new TypeError(`invalid device id for a topic: ${JSON.stringify(deviceId)}`);
  return `${TOPIC_ROOT}/${deviceId}/${suffix}`;
}

export interface ParsedTopic {
  deviceId: string;
  suffix: TopicSuffix;
}

/** Parses a concrete (wildcard-free) v1 topic; `null` for anything else. */
export function parseTopic(topic: string): ParsedTopic | null {
  const parts = topic.split('/');
  if (parts.length !== 3 || parts[0] !== TOPIC_ROOT) return null;
  const [, deviceId, suffix] = parts as [string, string, string];
  if (!isDeviceId(deviceId)) return null;
  if (suffix !== 'telemetry' && suffix !== 'status' && suffix !== 'ack' && suffix !== 'cmd') return null;
  return { deviceId, suffix };
}

/**
 * ACL (docs/protocol.md): the suffix of `topic` when it is one of `deviceId`'s own uplink topics
 * (`sv/<deviceId>/telemetry|status|ack`), otherwise null. Equivalent to parsing the topic and
 * comparing its parts, without the split: it runs for every message a kit sends.
 */
export function ownUplinkSuffix(deviceId: string, topic: string): UplinkSuffix | null {
  const head = TOPIC_ROOT.length + 1 + deviceId.length + 1; // "sv/" + id + "/"
  if (
    topic.length <= head ||
    topic.charCodeAt(TOPIC_ROOT.length) !== SLASH ||
    topic.charCodeAt(head - 1) !== SLASH ||
    !topic.startsWith(TOPIC_ROOT) ||
    !topic.startsWith(deviceId, TOPIC_ROOT.length + 1) ||
    !isDeviceId(deviceId)
  )
    return null;
  const suffix = topic.slice(head);
  return suffix === 'telemetry' || suffix === 'status' || suffix === 'ack' ? suffix : null;
}

const SLASH = 0x2f;

/** ACL (docs/protocol.md): a device may publish only its own uplink topics. */
export function mayPublish(deviceId: string, topic: string): boolean {
  return ownUplinkSuffix(deviceId, topic) !== null;
}

/** ACL (docs/protocol.md): the only topic a device may subscribe to is its own `cmd` (no wildcards). */
export function maySubscribe(deviceId: string, topicFilter: string): boolean {
  return topicFilter === `${TOPIC_ROOT}/${deviceId}/cmd` && isDeviceId(deviceId);
}
