import type { Packet } from 'mqtt-packet';

/**
 * The properties MQTT 5 allows in each packet a client sends (MQTT 5 §2.2.2.2, the tables of
 * §3.x.2.3). mqtt-packet parses any known property in any packet; the standard says a packet
 * with a property its type does not allow is malformed, so the adapter closes the session
 * (0x81) instead of passing it on. A PUBLISH from a client must not carry a Subscription
 * Identifier [MQTT-3.3.4-6].
 */
const ALLOWED: Partial<Record<Packet['cmd'], ReadonlySet<string>>> = {
  connect: new Set([
    'sessionExpiryInterval',
    'receiveMaximum',
    'maximumPacketSize',
    'topicAliasMaximum',
    'requestResponseInformation',
    'requestProblemInformation',
    'userProperties',
    'authenticationMethod',
    'authenticationData',
  ]),
  publish: new Set([
    'payloadFormatIndicator',
    'messageExpiryInterval',
    'topicAlias',
    'responseTopic',
    'correlationData',
    'userProperties',
    'contentType',
  ]),
  puback: new Set(['reasonString', 'userProperties']),
  pubrec: new Set(['reasonString', 'userProperties']),
  pubrel: new Set(['reasonString', 'userProperties']),
  pubcomp: new Set(['reasonString', 'userProperties']),
  subscribe: new Set(['subscriptionIdentifier', 'userProperties']),
  unsubscribe: new Set(['userProperties']),
  disconnect: new Set(['sessionExpiryInterval', 'reasonString', 'userProperties', 'serverReference']),
  auth: new Set(['authenticationMethod', 'authenticationData', 'reasonString', 'userProperties']),
};

const WILL = new Set([
  'willDelayInterval',
  'payloadFormatIndicator',
  'messageExpiryInterval',
  'contentType',
  'responseTopic',
  'correlationData',
  'userProperties',
]);

/** The first property the packet's type does not allow (`connect.will.topicAlias`, `publish.sessionExpiryInterval`), if any. */
export function misplacedProperty(p: Packet): string | undefined {
  const allowed = ALLOWED[p.cmd] ?? new Set<string>();
  const props = (p as { properties?: Record<string, unknown> }).properties;
  for (const key of Object.keys(props ?? {})) if (!allowed.has(key)) return `${p.cmd}.${key}`;
  if (p.cmd === 'connect') {
    const willProps = (p.will as { properties?: Record<string, unknown> } | undefined)?.properties;
    for (const key of Object.keys(willProps ?? {})) if (!WILL.has(key)) return `connect.will.${key}`;
  }
  return undefined;
}
