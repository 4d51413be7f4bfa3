import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import type { Logger } from '../../shared/log.js';
import type { GatewayConfig } from '../config.js';
import type { StoreWriter } from '../store/writer.js';
import type { DesiredHandler } from './downlink.js';
import { registerRelayMetrics } from './metrics.js';
import { relayOptions } from './options.js';
import { Relay, type RelayDeps } from './relay.js';
import { relayStatus } from './status.js';

export type { DesiredHandler, DesiredState } from './downlink.js';
export { Relay } from './relay.js';

/**
 * The relay as one gateway part: built (metrics, `GET /v1/relay`) with the app, started after the
 * broker, stopped first. Undefined when the gateway runs offline (no cloud.url).
 */
export function buildRelay(
  config: GatewayConfig,
  store: StoreWriter,
  deps: {
    registry: Registry;
    http: FastifyInstance;
    log: Logger;
    auth: (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
    onDesired?: DesiredHandler;
    onAlarms?: RelayDeps['onAlarms'];
    clock?: RelayDeps['clock'];
  },
): Relay | undefined {
  const opts = relayOptions(config);
  if (!opts) return undefined;
  const relay = new Relay(opts, store, config.dataDir, deps.log.child({ part: 'relay' }), {
    onDesired: deps.onDesired,
    onAlarms: deps.onAlarms,
    clock: deps.clock,
  });
  registerRelayMetrics(deps.registry, relay);
  // Local API: operator token, like every /v1 route of the gateway (docs/design.md).
  deps.http.get('/v1/relay', { onRequest: deps.auth }, async () => relayStatus(relay, Date.now()));
  return relay;
}
