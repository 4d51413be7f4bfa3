import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import { SvError } from '../../shared/errors.js';
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
  if (!opts) {
    // Offline by configuration: the route still answers, and says why there is no relay.
    deps.http.get('/v1/relay', { onRequest: deps.auth }, async () => {
      throw new SvError('SV_ERR_NOT_FOUND', 'the relay is off: this gateway has no cloud.url', [
        'cloud.url: not set (the gateway runs offline)',
      ]);
    });
    return undefined;
  }
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
