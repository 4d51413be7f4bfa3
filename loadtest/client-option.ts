import { choiceOption } from '../shared/config/options.js';
import type { ClientModel } from './partition.js';

/** `--client` of `sousvide loadtest` and `sousvide bench ingest`: which load generator (ADR 021). */
export const clientOption = choiceOption(['native', 'lean', 'mqttjs'], 'lean, mqttjs or native', {
  default: 'native',
  help: 'Load generator: native (kitgen.c: C, epoll, OpenSSL), lean (mqtt-packet in Node) or mqttjs (MQTT.js; the cross-check).',
});

/**
 * The native generator is compiled before any kit is provisioned, so that a missing compiler or
 * OpenSSL headers stop the command at once with an error naming them: never a silent fallback to
 * another generator, which would change the measurement (ADR 021).
 */
export async function prepareClient(client: ClientModel): Promise<ClientModel> {
  if (client === 'native') (await import('./native/build.js')).buildKitgen();
  return client;
}
